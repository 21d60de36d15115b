import Crypto
import Foundation

/// What the bank does with an ACH debit from an account: the single table of Stripe's test account numbers,
/// test PaymentMethod tokens and ACH return codes, with their Stripe failure codes and block reasons.
package struct DebitScript: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable {
        /// Settles.
        case success
        /// Settles, then the customer disputes it (`charge.dispute.created`/`closed`, mandate revoked).
        case dispute
        /// The bank returns the debit (`returnCode` / `failureCode`).
        case returned
        /// Stays `processing` for ever (for testing cancel and timeouts).
        case processing
    }

    package var kind: Kind
    /// NACHA return code (`R01`…), for returns.
    package var returnCode: String?
    /// Stripe's failure code for returns (`insufficient_funds`…).
    package var failureCode: String?
    /// Business days from confirmation to settlement (or return); nil = Stripe's default (4 to settle, 2 to fail).
    package var settlementDays: Int?
    /// Microdeposits cannot be sent to this account (`payment_method_microdeposit_failed`).
    package var microdepositsFail = false

    package static let success = DebitScript(kind: .success)

    /// Default business days: a success settles T+4, a return comes back T+2.
    package var businessDays: Int { settlementDays ?? (kind == .returned ? 2 : 4) }

    /// Returns block the bank account unless they are NSF (R01) or a currency problem.
    package var blockReason: String? { returnCode.flatMap { Self.returnCodes[$0]?.block } }

    /// From an ACH return code (R01…); `nil` for codes the simulator does not know.
    package static func returned(_ code: String, settlementDays: Int? = nil) -> DebitScript? {
        guard let entry = returnCodes[code] else { return nil }
        return DebitScript(
            kind: .returned,
            returnCode: code,
            failureCode: entry.failure,
            settlementDays: settlementDays
        )
    }

    /// NACHA code → (Stripe failure code, PaymentMethod block reason). Stripe publishes no full table; these
    /// follow reference/testing.md §4.
    package static let returnCodes: [String: (failure: String, block: String?)] = [
        "R01": ("insufficient_funds", nil),
        "R02": ("account_closed", "bank_account_closed"),
        "R03": ("no_account", "bank_account_invalid_details"),
        "R04": ("invalid_account_number", "bank_account_invalid_details"),
        "R05": ("debit_not_authorized", "debit_not_authorized"),
        "R07": ("debit_not_authorized", "debit_not_authorized"),
        "R08": ("debit_not_authorized", "bank_account_restricted"),
        "R10": ("debit_not_authorized", "debit_not_authorized"),
        "R11": ("debit_not_authorized", "debit_not_authorized"),
        "R16": ("account_frozen", "bank_account_frozen"),
        "R20": ("bank_account_restricted", "bank_account_restricted"),
        "R29": ("debit_not_authorized", "debit_not_authorized"),
    ]

    /// Stripe's `failure_message` for each failure code.
    package static func failureMessage(_ code: String) -> String {
        switch code {
        case "insufficient_funds": "The customer's account has insufficient funds to cover this payment."
        case "account_closed": "The customer's bank account has been closed."
        case "no_account": "The customer's bank account could not be located."
        case "invalid_account_number": "The customer's bank account number is invalid."
        case "debit_not_authorized": "The customer has notified their bank that this payment was unauthorized."
        case "account_frozen": "The customer's bank account has been frozen."
        case "bank_account_restricted":
            "The customer's bank account has restrictions on either the type, or number, of payments allowed."
        case "invalid_currency": "The bank was unable to process this payment because of its currency."
        case "amount_too_large": "The payment would exceed the bank account's weekly payment volume limit."
        default: "The payment failed."
        }
    }

    // MARK: Stripe's test numbers and tokens (routing 110000000)

    package static let testRoutingNumber = "110000000"

    /// Account number → script, for raw numbers entered with the test routing number.
    package static let testAccountNumbers: [String: DebitScript] = [
        "000123456789": .success,
        "000111111113": returned("R02")!,
        "000111111116": returned("R03")!,
        "000222222227": returned("R01")!,
        "000333333335": returned("R10")!,
        "000444444440": DebitScript(kind: .returned, failureCode: "invalid_currency"),
        "000666666661": DebitScript(kind: .success, microdepositsFail: true),
        "000555555559": DebitScript(kind: .dispute),
        "000000000009": DebitScript(kind: .processing),
        "000777777771": DebitScript(kind: .returned, failureCode: "amount_too_large"),
        // Simulator-only numbers for returns Stripe publishes no test number for (the default fixtures use them).
        "000000000404": returned("R04")!,
        "000000001616": returned("R16")!,
        "000000002020": returned("R20")!,
        "000000002929": returned("R29")!,
    ]

    /// Test PaymentMethod tokens → account number.
    package static let testTokens: [String: String] = [
        "pm_usBankAccount_success": "000123456789",
        "pm_usBankAccount_accountClosed": "000111111113",
        "pm_usBankAccount_noAccount": "000111111116",
        "pm_usBankAccount_insufficientFunds": "000222222227",
        "pm_usBankAccount_debitNotAuthorized": "000333333335",
        "pm_usBankAccount_invalidCurrency": "000444444440",
        "pm_usBankAccount_failMicrodeposits": "000666666661",
        "pm_usBankAccount_dispute": "000555555559",
        "pm_usBankAccount_processing": "000000000009",
        "pm_usBankAccount_weeklyLimitExceeded": "000777777771",
    ]

    /// The script for raw numbers: Stripe's test numbers behave as documented; any other valid account succeeds.
    package static func forRawNumbers(routing: String, account: String) -> DebitScript {
        guard routing == testRoutingNumber else { return .success }
        return testAccountNumbers[account] ?? .success
    }

    /// ABA checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
    package static func isValidRoutingNumber(_ r: String) -> Bool {
        let d = r.compactMap { $0.wholeNumberValue }
        guard r.count == 9, d.count == 9 else { return false }
        return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0
    }

    package static func isValidAccountNumber(_ a: String) -> Bool {
        (4...17).contains(a.count) && a.allSatisfy(\.isNumber) && a.allSatisfy(\.isASCII)
    }

    /// A stable fingerprint of the underlying account (same numbers → same fingerprint).
    package static func fingerprint(routing: String, account: String) -> String {
        let digest = SHA256.hash(data: Data("\(routing)|\(account)".utf8))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String(digest.prefix(16).map { alphabet[Int($0) % 62] })
    }
}

/// US business days (weekends and the fixed-date federal holidays skipped) for ACH timing.
package enum BusinessDays {
    /// `seconds` + `days` business days, at the same time of day.
    package static func add(_ days: Int, to seconds: Int) -> Int {
        var t = seconds
        var left = days
        while left > 0 {
            t += 86_400
            if isBusinessDay(t) { left -= 1 }
        }
        return t
    }

    package static func isBusinessDay(_ seconds: Int) -> Bool {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "America/New_York")!
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let weekday = cal.component(.weekday, from: date)
        if weekday == 1 || weekday == 7 { return false }
        let c = cal.dateComponents([.month, .day], from: date)
        // New Year's Day, Juneteenth, Independence Day, Veterans Day, Christmas.
        let fixed: Set<[Int]> = [[1, 1], [6, 19], [7, 4], [11, 11], [12, 25]]
        return !fixed.contains([c.month ?? 0, c.day ?? 0])
    }

    /// `YYYY-MM-DD` of a Unix time (US/Eastern), for `expected_debit_date`.
    package static func dateString(_ seconds: Int) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "America/New_York")!
        let c = cal.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
