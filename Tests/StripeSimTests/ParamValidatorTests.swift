import Testing

@testable import StripeSim

@Suite struct ParamValidatorTests {
    let schema: ParamSchema = [
        "amount": Param.integer.isRequired, "confirm": .boolean, "mode": .oneOf("a", "b", "c"),
        "address": .hash(["city": .string(max: 5)]), "tags": .array(.string), "metadata": .metadata,
        "email": .string(max: 512),
    ]

    private func check(_ body: String) throws(StripeError) -> Params {
        try ParamValidator.validate(try FormDecoding.decode(body), schema)
    }

    private func failure(_ body: String) -> StripeError? {
        do { _ = try check(body) } catch { return error }
        return nil
    }

    @Test func acceptsWellTypedInput() throws {
        let p = try check("amount=100&confirm=true&mode=b&address[city]=Paris&tags[]=x&metadata[k]=v")
        #expect(p.int("amount") == 100)
        #expect(p.bool("confirm") == true)
        #expect(p.string("mode") == "b")
        #expect(p.hash("address")?.string("city") == "Paris")
    }

    @Test(arguments: [
        ("amount=1&foo=1", "parameter_unknown", "foo", "Received unknown parameter: foo"),
        ("amount=1&address[zip]=1", "parameter_unknown", "address[zip]", "Received unknown parameter: address[zip]"),
        ("confirm=true", "parameter_missing", "amount", "Missing required param: amount."),
        ("amount=abc", "parameter_invalid_integer", "amount", "Invalid integer: abc"),
        ("amount=", "parameter_invalid_empty", "amount", "You passed an empty string for 'amount'."),
    ])
    func rejectsWithStripeCodes(_ body: String, _ code: String, _ param: String, _ message: String) throws {
        let e = try #require(failure(body))
        #expect(e.status == 400)
        #expect(e.type == "invalid_request_error")
        #expect(e.code == code)
        #expect(e.param == param)
        #expect(e.message.hasPrefix(message))
    }

    @Test(arguments: [
        ("amount=1&confirm=yes", "confirm", "Invalid boolean: yes"),
        ("amount=1&mode=z", "mode", "Invalid mode: must be one of a, b, or c"),
        ("amount=1&address=foo", "address", "Invalid object"),
        ("amount=1&tags=foo", "tags", "Invalid array"),
        ("amount=1&address[city]=Toulouse", "address[city]", "Invalid address[city]: must be at most 5 characters"),
    ])
    func rejectsWrongTypes(_ body: String, _ param: String, _ message: String) throws {
        let e = try #require(failure(body))
        #expect(e.status == 400)
        #expect(e.param == param)
        #expect(e.message == message)
    }

    @Test func metadataLimits() throws {
        let many = (0...50).map { "metadata[k\($0)]=v" }.joined(separator: "&")
        #expect(
            failure("amount=1&" + many)?.message.contains("Metadata can have up to 50 keys, but you've set 51") == true
        )
        let longKey = String(repeating: "k", count: 41)
        #expect(
            failure("amount=1&metadata[\(longKey)]=v")?.message.hasPrefix("Metadata keys can have up to 40 characters")
                == true
        )
        let longValue = String(repeating: "v", count: 501)
        #expect(
            failure("amount=1&metadata[k]=\(longValue)")?.message.hasPrefix(
                "Metadata values can have up to 500 characters"
            ) == true
        )
        #expect(failure("amount=1&metadata[k][x]=1") != nil)
        #expect(
            try check("amount=1&metadata[\(String(repeating: "k", count: 40))]=\(String(repeating: "v", count: 500))")
                .has("metadata")
        )
    }

    @Test func unknownIsReportedBeforeTypeErrors() throws {
        #expect(failure("amount=abc&zzz=1")?.code == "parameter_unknown")
    }
}
