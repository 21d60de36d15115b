import Testing

@testable import StripeSim

@Suite struct FormDecodingTests {
    private func decode(_ s: String) throws(StripeError) -> RawHash { try FormDecoding.decode(s) }

    @Test func nestedHashes() throws {
        let h = try decode("a[b][c]=1&a[b][d]=2&e=3")
        #expect(h["a"] == .hash(RawHash.make(["b": .hash(RawHash.make(["c": .string("1"), "d": .string("2")]))])))
        #expect(h["e"] == .string("3"))
    }

    @Test func appendAndIndexedArrays() throws {
        let h = try decode("x[]=a&x[]=b&y[0]=c&y[1]=d")
        #expect(h["x"] == .list([.string("a"), .string("b")]))
        let p = try ParamValidator.validate(h, ["x": .array(.string), "y": .array(.string)])
        #expect(p.strings("x") == ["a", "b"])
        #expect(p.strings("y") == ["c", "d"])
    }

    @Test func arraysOfHashes() throws {
        let h = try decode("f[0][name]=a&f[0][value]=1&f[1][name]=b&f[1][value]=2")
        let p = try ParamValidator.validate(h, ["f": .array(.hash(["name": .string, "value": .string]))])
        #expect(p.hashes("f")?.map { $0.string("name") } == ["a", "b"])
        let appended = try decode("g[][name]=a&g[][value]=1&g[][name]=b")
        #expect(
            appended["g"]
                == .list([
                    .hash(RawHash.make(["name": .string("a"), "value": .string("1")])),
                    .hash(RawHash.make(["name": .string("b")])),
                ])
        )
    }

    @Test func spacesAndPercentEncoding() throws {
        let h = try decode("name=Jenny+Rosen&note=a%20b%2Bc&%5Bk%5D=v&meta%5Bx%5D=y")
        #expect(h["name"] == .string("Jenny Rosen"))
        #expect(h["note"] == .string("a b+c"))
        #expect(h["meta"] == .hash(RawHash.make(["x": .string("y")])))
    }

    @Test func repeatedScalarKeysLastWins() throws {
        #expect(try decode("a=1&a=2")["a"] == .string("2"))
    }

    @Test func emptyValuesMeanUnset() throws {
        let h = try decode("description=&metadata[k]=")
        let p = try ParamValidator.validate(h, ["description": Param.string.isEmptyable, "metadata": .metadata])
        #expect(p.isUnset("description"))
        #expect(p.metadataUpdate() == .merge(["k": nil]))
        #expect(MetadataUpdate.merge(["k": nil]).applied(to: ["k": "v", "o": "w"]) == ["o": "w"])
        let cleared = try ParamValidator.validate(try decode("metadata="), ["metadata": .metadata])
        #expect(cleared.metadataUpdate() == .clear)
    }

    @Test(arguments: ["a=%zz", "a=%4", "a%=1", "a=%ff%fe"])
    func invalidPercentEncodingIsA400(_ body: String) throws {
        #expect(throws: StripeError.self) { try decode(body) }
        do { _ = try decode(body) } catch { #expect(error.status == 400) }
    }

    @Test func absurdNestingIsRefused() throws {
        let key = "a" + String(repeating: "[b]", count: 40)
        do {
            _ = try decode("\(key)=1")
            Issue.record("expected an error")
        } catch {
            #expect(error.status == 400)
            #expect(error.param == "a")
        }
    }

    @Test func explicitIndicesMustBeSequential() throws {
        let h = try decode("expand[1]=a")
        do {
            _ = try ParamValidator.validate(h, ["expand": .array(.string)])
            Issue.record("expected an error")
        } catch {
            #expect(error.param == "expand")
            #expect(error.message.contains("we expected to have a key with the value `0`"))
        }
    }

    @Test func scalarThenHashConflicts() throws {
        #expect(throws: StripeError.self) { try decode("a=1&a[b]=2") }
        #expect(throws: StripeError.self) { try decode("a[b]=2&a=1") }
    }

    @Test func malformedKeysStayLiteral() throws {
        #expect(try decode("a[b=1").keys == ["a[b"])
    }

    /// The separators are bytes: raw (unencoded) UTF-8 around them, even a combining mark right after `=` or `&`
    /// (one `Character` with it), splits exactly where a byte-reading form decoder splits.
    @Test func rawUTF8IsSplitOnBytes() throws {
        let h = try decode("name=J\u{E9}r\u{F4}me+\u{1F600}&a=\u{301}x&\u{301}k=v&m[\u{E9}]=1&s=%C3%A9")
        #expect(h["name"] == .string("J\u{E9}r\u{F4}me \u{1F600}"))
        #expect(h["a"] == .string("\u{301}x"))
        #expect(h["\u{301}k"] == .string("v"))
        #expect(h["m"] == .hash(RawHash.make(["\u{E9}": .string("1")])))
        #expect(h["s"] == .string("\u{E9}"))
        #expect(h.keys == ["name", "a", "\u{301}k", "m", "s"])
        #expect(try decode("&&a=1&&=2&b").keys == ["a", "b"])
        #expect(try decode("b")["b"] == .string(""))
        #expect(FormDecoding.splitKey("a[b][][c]") == ["a", "b", "", "c"])
        #expect(FormDecoding.splitKey("[a]") == ["[a]"])
        #expect(FormDecoding.splitKey("a[b]c") == ["a[b]c"])
    }

    /// `RawHash` keeps insertion order through replacing and removing, searched in order while small and through
    /// its index once large; equality is member by member, in order.
    @Test func rawHashOrderAcrossItsIndex() throws {
        for count in [3, 16, 17, 40] {
            var h = RawHash()
            for n in 0..<count { h["k\(n)"] = .string("\(n)") }
            h["k1"] = .string("one")  // replaced in place
            h["k0"] = nil  // removed
            h["k0"] = .string("back")  // appended again
            h["absent"] = nil
            let expected = (1..<count).map { "k\($0)" } + ["k0"]
            #expect(h.keys == expected, "\(count)")
            #expect(h.entries.map(\.key) == expected)
            #expect(h["k1"] == .string("one") && h["k0"] == .string("back") && h["absent"] == nil)
            #expect(h["k\(count - 1)"] == .string("\(count - 1)"))
            var same = RawHash()
            for (k, v) in h.entries { same[k] = v }
            #expect(same == h)
            same["k1"] = .string("other")
            #expect(same != h)
        }
        #expect(RawHash.make(["a": .null, "b": .null]) != RawHash.make(["b": .null, "a": .null]))
        let many = try decode((0..<500).map { "metadata[m\($0)]=\($0)" }.joined(separator: "&") + "&metadata[m7]=again")
        guard case .hash(let metadata) = many["metadata"] else {
            Issue.record("metadata is not a hash")
            return
        }
        #expect(metadata.keys.count == 500 && metadata.keys.first == "m0" && metadata.keys.last == "m499")
        #expect(metadata["m7"] == .string("again") && metadata["m499"] == .string("499"))
    }

    /// Emails are checked on bytes when ASCII, through `Character`s otherwise; both read the same rules.
    @Test(arguments: [
        ("a@b.co", true), ("jenny.rosen@example.com", true), ("@b.co", false), ("a@b", false), ("a@.b.co", false),
        ("a@b.co.", false), ("a@b@c.co", false), ("a b@c.co", false), ("a@b.co\t", false), ("a@b.co\r\n", false),
        ("a\u{0B}@b.co", false), ("a\u{1C}@b.co", true), ("", false), ("j\u{E9}r\u{F4}me@b.co", true),
        ("j\u{E9}r\u{F4}me@b", false), ("j\u{E9}\u{A0}@b.co", false), ("j\u{E9}@@b.co", false),
    ])
    func emailValidation(_ email: String, _ valid: Bool) {
        let accepted = (try? Customer.validateEmail(email)) != nil
        #expect(accepted == valid, "\(email.debugDescription)")
    }

    /// Members serialise `id`, `object`, then by key in `String` order; non-ASCII metadata keys included.
    @Test func jsonMemberOrder() throws {
        let v: JSONValue = ["z": 1, "object": "customer", "b": ["\u{E9}": 1, "e": 2, "Z": 3], "id": "cus_1", "a": nil]
        #expect(
            v.serialized(pretty: false)
                == #"{"id":"cus_1","object":"customer","a":null,"b":{"Z":3,"e":2,"\#u{E9}":1},"z":1}"#
        )
        #expect(JSONValue.object(["object": "x"]).serialized(pretty: false) == #"{"object":"x"}"#)
    }

    /// Pretty output indents two spaces a level, however deep (past the 64-space line it copies from).
    @Test func prettyIndentationAtAnyDepth() {
        var v: JSONValue = "leaf"
        for _ in 0..<40 { v = ["k": v] }
        let text = v.serialized()
        #expect(text.contains("\n" + String(repeating: " ", count: 80) + #""k": "leaf""#))
        #expect(text.hasSuffix("\n  }\n}"))
        #expect(JSONValue.parse(text) == v)
        #expect(
            v.serialized(pretty: false) == String(repeating: #"{"k":"#, count: 40) + #""leaf""#
                + String(repeating: "}", count: 40)
        )
    }

    /// Every byte that needs escaping is escaped wherever it sits in a string, and nothing else is.
    @Test func everyEscapedByteAtEveryPosition() {
        for length in [1, 7, 8, 9, 16, 17, 23] {
            for position in 0..<length {
                for byte in UInt8(0)..<0x80 {
                    var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let s = String(decoding: bytes, as: UTF8.self)
                    let text = JSONValue.string(s).serialized()
                    let escaped = byte < 0x20 || byte == 0x22 || byte == 0x5C
                    #expect(
                        text.utf8.count == length + 2
                            + (escaped ? (byte < 0x20 && ![9, 10, 13].contains(byte) ? 5 : 1) : 0)
                    )
                    #expect(JSONValue.parse(text) == .string(s))
                }
            }
        }
        let utf8 = "é😀 ünïcödé \u{7F}\u{80}"
        #expect(JSONValue.string(utf8).serialized() == "\"" + utf8 + "\"")
    }

    @Test func jsonValueRoundTrip() throws {
        let text = #"{"a": [1, 2.5, true, null, "x\"\n\u00e9\ud83d\ude00"], "b": {}}"#
        let v = try #require(JSONValue.parse(text))
        #expect(v["a"] == [1, .double(2.5), true, nil, "x\"\né😀"])
        #expect(JSONValue.parse(v.serialized()) == v)
        #expect(JSONValue.parse("{\"a\": 1,}") == nil)
        #expect(JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) == nil)
    }
}

extension RawHash {
    static func make(_ pairs: KeyValuePairs<String, RawParam>) -> RawHash {
        var h = RawHash()
        for (k, v) in pairs { h[k] = v }
        return h
    }
}
