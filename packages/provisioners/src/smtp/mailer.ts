import nodemailer, { type Transporter } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /**
   * A stable id derived from the business key (e.g. the workflow and step): a retried send carries
   * the same Message-ID, so mail systems that see it twice can tell it is one message.
   */
  messageId: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

/**
 * Sends mail over real SMTP (`SMTP_URL`, e.g. smtp://user:pass@relay:587 or smtps://…:465).
 * Connection errors are thrown as they are, so the calling activity retries with backoff.
 */
export function createMailer(smtpUrl: string, from: string): Mailer {
  // At most 8 + 5 + 15 s: below the 30 s a workflow step's attempt may last, so an attempt never
  // times out (and retries) while the relay is still working on its message.
  const transport: Transporter = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 8_000, greetingTimeout: 5_000, socketTimeout: 15_000 });
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}), messageId: mail.messageId });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
