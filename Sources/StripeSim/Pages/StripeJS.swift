import Hummingbird

/// `GET /v3/`: a stand-in for Stripe.js, so a web page that loads `https://js.stripe.com/v3/` can load
/// `http://127.0.0.1:12111/v3/` instead and run its Financial Connections code unchanged.
///
/// - `Stripe(publishableKey)` checks the key as Stripe.js does (a secret key or a live key throws) and returns
///   an object with `collectFinancialConnectionsAccounts({clientSecret})`.
/// - That opens the simulator's flow (`/link/<clientSecret>?key=…&origin=…`) in a modal iframe over the
///   page and resolves with `{financialConnectionsSession}` — the session as the API returns it, with
///   `accounts` as an array of the linked `fca_` accounts (empty when the user cancels, is denied, or the
///   bank fails) — or with `{error: {type, code, message}}` for an unknown or already completed session.
///   The flow's last page hands the result over with `postMessage`; nothing else crosses origins.
/// - The simulator's address comes from the script's own URL (`document.currentScript.src`).
/// - Any other Stripe.js method (`elements`, `confirmPayment`, `collectBankAccountToken`, …) throws an
///   `IntegrationError` saying it is not simulated, instead of failing silently.
enum StripeJS {
    static func response() -> Response {
        PageResponse(body: source, contentType: "application/javascript; charset=utf-8").response()
    }

    static let source = #"""
        /*
         * stripe-sim: a stand-in for Stripe.js v3 (https://js.stripe.com/v3/) for tests against the simulator.
         * Implements Stripe(publishableKey).collectFinancialConnectionsAccounts({clientSecret}); every other
         * Stripe.js method throws an IntegrationError saying it is not simulated.
         */
        (function () {
          'use strict';
          if (window.Stripe && window.Stripe.__stripeSim) return;

          function findScript() {
            if (document.currentScript && document.currentScript.src) return document.currentScript;
            var scripts = document.getElementsByTagName('script');
            for (var i = scripts.length - 1; i >= 0; i--) {
              if (/\/v3\/?(\?.*)?$/.test(scripts[i].src)) return scripts[i];
            }
            return null;
          }
          var script = findScript();
          var SIMULATOR = script ? new URL(script.src, window.location.href).origin : window.location.origin;
          var SIMULATED = ['collectFinancialConnectionsAccounts'];
          var SECRET = /^fcsess_client_secret_[A-Za-z0-9]+$/;
          var PASS_THROUGH = { then: true, toJSON: true, constructor: true, valueOf: true, toString: true,
                               inspect: true, nodeType: true, $$typeof: true, asymmetricMatch: true };

          function IntegrationError(message) {
            var error = new Error(message);
            error.name = 'IntegrationError';
            return error;
          }

          function notSimulated(name) {
            return function () {
              throw IntegrationError('stripe.' + name + '() is not simulated by stripe-sim. The Stripe.js stand-in at ' +
                SIMULATOR + '/v3/ implements only: ' + SIMULATED.join(', ') + '.');
            };
          }

          // The session as Stripe.js hands it over: `accounts` is an array, not a list object.
          function toStripeJSSession(session) {
            var out = {};
            for (var k in session) if (Object.prototype.hasOwnProperty.call(session, k)) out[k] = session[k];
            var accounts = session.accounts;
            out.accounts = accounts && Array.isArray(accounts.data) ? accounts.data : (Array.isArray(accounts) ? accounts : []);
            return out;
          }

          var openFlow = null;

          function collectFinancialConnectionsAccounts(key, options) {
            return new Promise(function (resolve) {
              var clientSecret = options && options.clientSecret;
              if (typeof clientSecret !== 'string' || !SECRET.test(clientSecret)) {
                resolve({ error: { type: 'invalid_request_error', code: 'resource_missing',
                  message: 'Invalid value for collectFinancialConnectionsAccounts: clientSecret should be the client_secret of a Financial Connections Session (fcsess_client_secret_…). You specified: ' +
                    (typeof clientSecret === 'string' ? clientSecret : typeof clientSecret) + '.' } });
                return;
              }
              if (openFlow) {
                resolve({ error: { type: 'invalid_request_error',
                  message: 'A Financial Connections flow is already open on this page.' } });
                return;
              }

              var overlay = document.createElement('div');
              overlay.setAttribute('data-testid', 'stripe-sim-modal');
              overlay.style.cssText = 'position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483647;' +
                'background:rgba(50,50,93,0.55);display:flex;align-items:center;justify-content:center;';
              var frame = document.createElement('iframe');
              frame.name = 'stripe-sim-financial-connections';
              frame.title = 'Link your bank account (stripe-sim)';
              frame.setAttribute('data-testid', 'stripe-sim-frame');
              frame.style.cssText = 'width:440px;max-width:100%;height:680px;max-height:100%;border:0;' +
                'border-radius:8px;background:#fff;box-shadow:0 12px 40px rgba(0,0,0,0.3);';
              var origin = window.location.origin && window.location.origin !== 'null' ? window.location.origin : '*';
              frame.src = SIMULATOR + '/link/' + encodeURIComponent(clientSecret) +
                '?key=' + encodeURIComponent(key) + '&origin=' + encodeURIComponent(origin);

              function done(result) {
                window.removeEventListener('message', onMessage);
                if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
                openFlow = null;
                resolve(result);
              }
              function onMessage(event) {
                if (event.source !== frame.contentWindow || event.origin !== SIMULATOR) return;
                var data = event.data || {};
                if (data.type === 'stripe-sim:fc-result') {
                  done({ financialConnectionsSession: toStripeJSSession(data.session || {}) });
                } else if (data.type === 'stripe-sim:fc-error') {
                  done({ error: data.error });
                }
              }
              window.addEventListener('message', onMessage);
              overlay.appendChild(frame);
              (document.body || document.documentElement).appendChild(overlay);
              openFlow = overlay;
            });
          }

          function Stripe(publishableKey, options) {
            if (typeof publishableKey !== 'string' || publishableKey === '') {
              throw IntegrationError('Invalid value for Stripe(): apiKey should be a string. You specified: ' + typeof publishableKey + '.');
            }
            if (/^(sk|rk)_/.test(publishableKey)) {
              throw IntegrationError('You should not use your secret key with Stripe.js. Please pass a publishable key instead.');
            }
            if (/^pk_live_/.test(publishableKey)) {
              throw IntegrationError('stripe-sim simulates test mode only: use a pk_test_ key.');
            }
            if (!/^pk_test_[A-Za-z0-9_]+$/.test(publishableKey)) {
              throw IntegrationError('Invalid value for Stripe(): apiKey should be a publishable key (pk_test_…). You specified: ' + publishableKey + '.');
            }
            var api = {
              collectFinancialConnectionsAccounts: function (opts) { return collectFinancialConnectionsAccounts(publishableKey, opts); },
              _stripeSim: { simulator: SIMULATOR, publishableKey: publishableKey }
            };
            return new Proxy(api, {
              get: function (target, property) {
                if (typeof property !== 'string' || property in target || PASS_THROUGH[property]) return target[property];
                return notSimulated(property);
              }
            });
          }
          Stripe.version = 3;
          Stripe.__stripeSim = true;
          window.Stripe = Stripe;
        })();

        """#
}
