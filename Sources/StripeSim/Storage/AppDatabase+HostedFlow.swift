import Foundation
import GRDB

extension AppDatabase {
    /// The account that owns the Financial Connections session with this client secret, looking across
    /// accounts: the hosted flow is opened with the client secret alone (and, from Stripe.js, a publishable
    /// key whose account the caller then checks against this one). Client secrets are unguessable, so the
    /// secret is the capability, as it is for Stripe's hosted pages.
    package func accountOwningFCSession(clientSecret: String) async throws -> String? {
        do {
            return try await readDatabase { db in
                try String.fetchOne(
                    db,
                    sql: "SELECT account FROM fcSession WHERE clientSecret = ? LIMIT 1",
                    arguments: [clientSecret]
                )
            }
        } catch let error as DatabaseError {
            throw StripeError(
                status: 500,
                type: "api_error",
                message: "The simulator's storage failed: \(error.message ?? "\(error)")"
            )
        }
    }
}
