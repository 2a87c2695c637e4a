/** A browser for OpenID flows in tests and benchmarks: cookies per name, redirects followed by hand. */
export class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(platformSession?: string) {
    if (platformSession) this.cookies.set('mutualis_session', platformSession);
  }
  private header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  private keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value.join('=') === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
  }
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: this.header() } });
    this.keep(res);
    return res;
  }
  /** Follows redirects until one leaves for `stopAt` (returned), or a page answers (returned as a Response). */
  async follow(start: string, stopAt: string): Promise<{ redirect: URL } | { page: Response; url: string }> {
    let url = start;
    for (let hops = 0; hops < 15; hops++) {
      const res = await this.request(url);
      const location = res.headers.get('location');
      if (!location || res.status < 300 || res.status >= 400) return { page: res, url };
      const next = new URL(location, url);
      if (next.href.startsWith(stopAt)) return { redirect: next };
      url = next.href;
    }
    throw new Error(`too many redirects from ${start}`);
  }
}

