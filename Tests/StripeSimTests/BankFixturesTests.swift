import Foundation
import Testing

@testable import StripeSim

@Suite struct BankFixturesTests {
    @Test func defaultsLoadAndMirrorStripesTestInstitutions() throws {
        let bank = try BankFixtures.loadDefault()
        let names = Set(bank.institutions.map(\.name))
        for name in [
            "Test (Non-OAuth)", "Test (OAuth)", "Bank (Non-OAuth)", "Bank (OAuth)", "Ownership Accounts",
            "Invalid Payment Accounts", "Down (Scheduled)", "Down (Unscheduled)", "Down (Error)", "Inactive Accounts",
        ] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(Set(bank.institutions.map(\.id)).count == bank.institutions.count)
        let oauth = try #require(bank.institution(id: "fcinst_Qn1a6jqpI0Gb84"))
        #expect(oauth.auth == .oauth)
        #expect(oauth.account(id: "checking-success")?.behavior.debitScript == .success)
    }

    @Test func everyScriptedReturnIsInTheReturnCodeTable() throws {
        for institution in try BankFixtures.loadDefault().institutions {
            for account in institution.accounts {
                let script = account.behavior.debitScript
                if let code = script.returnCode {
                    #expect(DebitScript.returnCodes[code] != nil, "\(account.id): \(code)")
                }
                if account.supportsACH, let routing = account.routingNumber, let number = account.accountNumber {
                    #expect(DebitScript.isValidRoutingNumber(routing))
                    #expect(DebitScript.isValidAccountNumber(number))
                    // Typing the same numbers by hand behaves like the linked account.
                    #expect(
                        DebitScript.forRawNumbers(routing: routing, account: number).kind == script.kind,
                        "\(account.id)"
                    )
                }
            }
        }
    }

    @Test func transactionHistoriesAreDeterministicAndStable() throws {
        let account = try #require(
            try BankFixtures.loadDefault().institution(id: "fcinst_Qn1a6jqpI0Gb84")?.account(id: "checking-success")
        )
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let a = account.transactions(now: now)
        #expect(a == account.transactions(now: now))
        #expect(a.count > 90)
        let oldest = a.map(\.transactedAt).min()!
        #expect(now.timeIntervalSince(oldest) >= 90 * 86_400)
        // A day later the shared days keep their keys and amounts.
        let b = account.transactions(now: now.addingTimeInterval(86_400))
        let byKey = Dictionary(uniqueKeysWithValues: b.map { ($0.key, $0) })
        let shared = a.filter { byKey[$0.key] != nil }
        #expect(shared.count > a.count / 2)
        #expect(
            shared.allSatisfy { byKey[$0.key]!.amount == $0.amount && byKey[$0.key]!.description == $0.description }
        )
    }

    @Test func overlaysAddOverrideAndReportBadFiles() throws {
        let dir = try temporaryDirectory()
        let add =
            #"{"id": "fcinst_Mine", "name": "Mine", "auth": "credentials", "status": "up", "accounts": [{"id": "a", "display_name": "A", "category": "cash", "subcategory": "checking", "last4": "1111", "routing_number": "110000000", "account_number": "000123451111", "supported_payment_method_types": ["us_bank_account"], "balance": {"type": "cash", "current": 5, "available": 5}, "owners": [{"name": "Me"}], "behavior": {"ach": "R01"}}]}"#
        try add.write(to: dir.appendingPathComponent("mine.json"), atomically: true, encoding: .utf8)
        let bank = try BankFixtures.loadDefault().overlaying(directories: [dir])
        #expect(bank.institution(id: "fcinst_Mine")?.account(id: "a")?.behavior.debitScript.returnCode == "R01")
        #expect(bank.institution(id: "fcinst_Qn1a6jqpI0Gb84") != nil)
        try #"{"id": "fcinst_Bad", "name": 3}"#.write(
            to: dir.appendingPathComponent("bad.json"),
            atomically: true,
            encoding: .utf8
        )
        do {
            _ = try BankFixtures.loadDefault().overlaying(directories: [dir])
            Issue.record("a bad fixture file loaded")
        } catch {
            #expect("\(error)".contains("bad.json"))
        }
        try? FileManager.default.removeItem(at: dir)
    }
}
