// nodemailer 10 ships no type declarations; the part we use.
declare module 'nodemailer' {
  export interface SendMailOptions {
    from: string; to: string; subject: string; text: string; html?: string; messageId?: string; headers?: Record<string, string>;
  }
  export interface SentMessageInfo { messageId: string; accepted: string[]; rejected: string[]; response: string }
  export interface Transporter {
    sendMail(options: SendMailOptions): Promise<SentMessageInfo>;
    verify(): Promise<true>;
    close(): void;
  }
  export function createTransport(url: string, defaults?: Record<string, unknown>): Transporter;
  const nodemailer: { createTransport: typeof createTransport };
  export default nodemailer;
}
