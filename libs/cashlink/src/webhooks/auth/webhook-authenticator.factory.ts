import type { ResolvedWebhooksAuth } from '../webhooks.options';
import { BearerWebhookAuthenticator } from './bearer-webhook-authenticator';
import { JwtWebhookAuthenticator } from './jwt-webhook-authenticator';
import { OAuth2WebhookTokenIssuer } from './oauth2-webhook-token.issuer';
import type { WebhookAuthenticator } from './webhook-authenticator';

/** Builds the authenticator for the configured `webhooks.auth`. */
export function createWebhookAuthenticator(auth: ResolvedWebhooksAuth): WebhookAuthenticator {
  switch (auth.type) {
    case 'bearer':
      return new BearerWebhookAuthenticator(auth.tokens);
    case 'oauth2':
      return new OAuth2WebhookTokenIssuer(auth);
    case 'jwt':
      return new JwtWebhookAuthenticator(auth);
  }
}
