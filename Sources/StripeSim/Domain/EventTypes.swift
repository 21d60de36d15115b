import Foundation

/// The event types a webhook endpoint may subscribe to (`enabled_events[]`): every type the simulator emits
/// plus the Stripe types of the flows it models (reference/testing.md §6). The one list: endpoint validation
/// reads it, and a new emitter adds its types here.
package enum EventTypes {
    /// `enabled_events[]=*`: every event (thin v2 events excepted; those go to event destinations).
    package static let wildcard = "*"

    /// Types the simulator emits today.
    package static let emitted: [String] = [
        "customer.created", "customer.updated", "customer.deleted",
        "test_helpers.test_clock.created", "test_helpers.test_clock.advancing", "test_helpers.test_clock.ready",
        "test_helpers.test_clock.internal_failure", "test_helpers.test_clock.deleted",
    ]

    /// Stripe types of the customer, Financial Connections, ACH payment and setup flows (emitted as those
    /// flows land in the simulator).
    package static let modelled: [String] = [
        // Financial Connections
        "financial_connections.account.created", "financial_connections.account.deactivated",
        "financial_connections.account.disconnected", "financial_connections.account.reactivated",
        "financial_connections.account.refreshed_balance", "financial_connections.account.refreshed_ownership",
        "financial_connections.account.refreshed_transactions",
        "financial_connections.account.refreshed_inferred_balances",
        "financial_connections.account.account_numbers_updated",
        "financial_connections.account.upcoming_account_number_expiry",
        "financial_connections.account.upcoming_deactivation",
        "financial_connections.authorization.upcoming_deactivation",
        "financial_connections.session.updated",
        // PaymentIntents and charges
        "payment_intent.created", "payment_intent.requires_action", "payment_intent.processing",
        "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
        "payment_intent.amount_capturable_updated", "payment_intent.partially_funded",
        "charge.pending", "charge.updated", "charge.succeeded", "charge.failed", "charge.refunded",
        "charge.captured", "charge.expired", "charge.refund.updated",
        "charge.dispute.created", "charge.dispute.closed", "charge.dispute.updated",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
        "refund.created", "refund.updated", "refund.failed",
        // SetupIntents, PaymentMethods, mandates
        "setup_intent.created", "setup_intent.requires_action", "setup_intent.succeeded",
        "setup_intent.setup_failed", "setup_intent.canceled",
        "payment_method.attached", "payment_method.detached", "payment_method.updated",
        "payment_method.automatically_updated",
        "mandate.updated",
        // Customers' satellites
        "customer.source.created", "customer.source.updated", "customer.source.deleted",
        "customer.discount.created", "customer.discount.updated", "customer.discount.deleted",
        "customer.tax_id.created", "customer.tax_id.updated", "customer.tax_id.deleted",
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "customer_cash_balance_transaction.created", "cash_balance.funds_available",
    ]

    /// Every name `enabled_events[]` accepts besides `*`.
    package static let subscribable: Set<String> = Set(emitted + modelled)

    /// Whether `type` matches `pattern`, where `*` matches any run of characters (`*`, or `customer.*` for
    /// `--forward-events`).
    package static func matches(_ type: String, pattern: String) -> Bool {
        guard pattern.contains("*") else { return pattern == type }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(type)
        for (i, part) in parts.enumerated() {
            if i == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if i == parts.count - 1 {
                return part.isEmpty || rest.hasSuffix(part)
            } else if !part.isEmpty {
                guard let r = rest.range(of: part) else { return false }
                rest = rest[r.upperBound...]
            }
        }
        return rest.isEmpty
    }

    /// Whether any of `patterns` selects `type`.
    package static func matches(_ type: String, anyOf patterns: [String]) -> Bool {
        patterns.contains { matches(type, pattern: $0) }
    }
}
