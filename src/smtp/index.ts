export { SmtpEndpoint } from './endpoint.js';
export type { SmtpAuthOptions, SmtpEndpointOptions } from './options.js';
export { createCertificate, loadOrCreateCertificate, type TlsCertificate } from './tls.js';
