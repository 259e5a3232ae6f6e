/** What the control plane answered to an enrollment request. */
export interface EnrollmentReply {
  status: number;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** The Retry-After header, when present. */
  retryAfter?: string;
}

/**
 * The control plane's public enrollment endpoint. Throws AgentError SERVER_UNREACHABLE when no
 * answer arrives (refused, DNS, TLS, deadline); every HTTP answer, error statuses included, resolves.
 */
export interface EnrollmentApi {
  enroll(url: string, body: object, timeoutMs: number): Promise<EnrollmentReply>;
}
