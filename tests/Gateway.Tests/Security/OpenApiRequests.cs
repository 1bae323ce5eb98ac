using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace Messaging.Gateway.Tests.Security;

/// <summary>One operation of the gateway's OpenAPI document, as far as the fuzzer needs it.</summary>
internal sealed record FuzzOperation(HttpMethod Method, string PathTemplate, IReadOnlyList<FuzzParameter> Parameters, string? BodyMediaType, JsonElement? BodySchema, IReadOnlyList<string> Scopes)
{
    /// <summary>The OAuth token endpoint answers its errors as RFC 6749 JSON, not problem+json.</summary>
    public bool IsTokenEndpoint => PathTemplate == "/api/auth/token";

    public override string ToString() => $"{Method} {PathTemplate}";
}

/// <summary>A declared path, query or header parameter.</summary>
internal sealed record FuzzParameter(string Name, string In, JsonElement Schema);

/// <summary>An <c>Authorization</c> header (or none), printed by name only.</summary>
internal sealed record FuzzCaller(string Name, string? Authorization)
{
    public override string ToString() => Name;
}

/// <summary>Values that exist in the gateway under test, so that generated requests also reach the success paths.</summary>
/// <param name="Tenant">The tenant whose commands and dead letters exist.</param>
/// <param name="CommandIds">Every command id the generators use: dead-lettered ones, cancellable ones and one unknown.</param>
/// <param name="DeadLetteredIds">The commands with a dead letter (redrivable).</param>
/// <param name="CancellableIds">The commands no attempt has started (cancellable).</param>
/// <param name="DeadLetterIds">The dead letters' own ids (of <paramref name="DeadLetteredIds"/>), and one unknown.</param>
/// <param name="BreakerNames">The gateway's breakers, and one that does not exist.</param>
/// <param name="ClientId">An API client of <paramref name="Tenant"/>.</param>
/// <param name="ClientSecret">Its secret.</param>
/// <param name="CallersByScope">A token of each scope.</param>
/// <param name="Strangers">Callers without a valid token.</param>
internal sealed record FuzzWorld(
    string Tenant,
    IReadOnlyList<Guid> CommandIds,
    IReadOnlyList<Guid> DeadLetteredIds,
    IReadOnlyList<Guid> CancellableIds,
    IReadOnlyList<long> DeadLetterIds,
    IReadOnlyList<string> BreakerNames,
    string ClientId,
    string ClientSecret,
    IReadOnlyDictionary<string, FuzzCaller> CallersByScope,
    IReadOnlyList<FuzzCaller> Strangers);

/// <summary>A generated request; CsCheck prints the failing one (with its seed) through <see cref="ToString"/>.</summary>
internal sealed record FuzzRequest(FuzzOperation Operation, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, FuzzCaller Caller, string? ContentType, byte[]? Body)
{
    public HttpRequestMessage ToHttpRequest()
    {
        var message = new HttpRequestMessage(Operation.Method, PathAndQuery.TrimStart('/'));
        if (Caller.Authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", Caller.Authorization);
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is { Length: > 0 })
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        return message;
    }

    public override string ToString()
    {
        var body = Body is null ? "(none)" : Encoding.UTF8.GetString(Body);
        var path = PathAndQuery.Length > 300 ? PathAndQuery[..300] + "…" : PathAndQuery;
        return $"{Operation.Method} {path} caller={Caller} headers=[{string.Join(", ", Headers.Select(h => $"{h.Key}: {Shorten(h.Value)}"))}] "
            + $"content-type={ContentType} body={Shorten(body)}";
    }

    private static string Shorten(string value) => value.Length > 120 ? $"{value[..120]}… ({value.Length} chars)" : value;
}

/// <summary>
/// CsCheck generators of requests for every operation of an OpenAPI document: the path template with generated segments,
/// the declared query parameters plus unknown ones, the declared headers plus tracing and content headers, a caller, and
/// a body derived from the request schema (a valid-looking instance, or one mutated into a defect).
/// </summary>
internal sealed class OpenApiRequests(JsonElement document, FuzzWorld world)
{
    // No %00: Kestrel refuses a null byte in the path itself (400, empty body) before the application sees the request.
    private static readonly string[] RawJunkSegments = ["%2F..%2F", "%ZZ", "..", "%E2%82%AC", "a%20b", "%C0%AF", ";x=1", "%25", "x:y"];
    private static readonly string[] UnicodeText = ["ключ", "😀", "日本語", "ﬁ", "\u200B", "é"];
    private static readonly string[] UnknownQueries = ["unknown=1", "limit=1&limit=2", "%ZZ=1", "a[b]=c", "=", "&&&", "tenant=", "x=" + new string('q', 1500)];
    private static readonly string[] CommandStatuses = ["Accepted", "Dispatched", "Processing", "Succeeded", "Failed", "Scheduled", "DeadLettered", "Expired", "Cancelled", "accepted", "Nope"];
    // Type names as filter values (the types' own submit routes come from the document).
    private static readonly string[] CommandTypes = ["payments.charge", "notifications.send", "nope", "PAYMENTS.CHARGE"];

    // Kestrel itself refuses non-ASCII header bytes before the application sees them (400, no body): those are the
    // server's answers, not the gateway's, and the in-memory MalformedRequestTests send them to the application.
    private static readonly string[] BadAsciiIdempotencyKeys = [.. MalformedInputs.BadIdempotencyKeys.Where(key => key.All(char.IsAscii))];

    private static readonly Gen<string> Alphanumeric = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."].Array[1, 24].Select(chars => new string(chars));

    private static readonly Gen<string> Text = Gen.Frequency(
        (6, Alphanumeric),
        (1, Gen.OneOf(UnicodeText)),
        (1, Gen.OneOf("", " ", "null", "0", "-1", "<script>", "' OR 1=1 --", "%s%n", "\\u0000")));

    /// <summary>A time a Not-Before accepts (a little in the past to 30 days ahead), or one just outside or malformed.</summary>
    private static readonly Gen<string> NotBefore = Gen.Frequency(
        (4, Gen.Int[-4, 60 * 24 * 29].Select(minutes => DateTimeOffset.UtcNow.AddMinutes(minutes).ToString("O", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf(-10, 60 * 24 * 31).Select(minutes => DateTimeOffset.UtcNow.AddMinutes(minutes).ToString("O", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("2031-05-04T12:00:00", "tomorrow", "2031-05-04 12:00:00Z", "")));

    /// <summary>1 to 3 valid charges, some with a key from a small pool (replays) or a Not-Before.</summary>
    private static readonly Gen<byte[]> KnownGoodBatch =
        (from key in Gen.Frequency((2, Gen.Const((string?)null)), (1, Gen.Int[1, 4].Select(n => (string?)("fuzz-batch-key-" + n.ToString(CultureInfo.InvariantCulture)))))
         from notBefore in Gen.Frequency((3, Gen.Const((string?)null)), (1, NotBefore.Select(v => (string?)v)))
         select new JsonObject
         {
             ["type"] = "payments.charge",
             ["body"] = new JsonObject { ["amount"] = 12.5m, ["currency"] = "EUR", ["customerId"] = "cus_fuzz" },
             ["idempotencyKey"] = key,
             ["notBefore"] = notBefore,
         }).Array[1, 3].Select(items =>
         {
             foreach (var item in items)
             {
                 foreach (var empty in item.Where(p => p.Value is null).Select(p => p.Key).ToList())
                 {
                     item.Remove(empty);
                 }
             }

             return Encoding.UTF8.GetBytes(new JsonObject { ["items"] = new JsonArray([.. items]) }.ToJsonString());
         });

    /// <summary>Requests spread evenly over the document's operations.</summary>
    public Gen<FuzzRequest> All() => Gen.OneOf([.. Operations(document).Select(Request)]);

    /// <summary>Requests for one operation only.</summary>
    public Gen<FuzzRequest> For(FuzzOperation operation) => Request(operation);

    /// <summary>The operations of the document, one per path and method.</summary>
    public static IReadOnlyList<FuzzOperation> Operations(JsonElement document)
    {
        var operations = new List<FuzzOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject())
            {
                var operation = method.Value;
                var parameters = operation.TryGetProperty("parameters", out var declared)
                    ? declared.EnumerateArray().Select(p => new FuzzParameter(p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!, p.GetProperty("schema"))).ToList()
                    : [];
                string? mediaType = null;
                JsonElement? schema = null;
                if (operation.TryGetProperty("requestBody", out var body) && body.GetProperty("content").EnumerateObject().FirstOrDefault() is { Value.ValueKind: JsonValueKind.Object } content)
                {
                    mediaType = content.Name;
                    schema = content.Value.GetProperty("schema");
                }

                var scopes = operation.TryGetProperty("security", out var security)
                    ? security.EnumerateArray().SelectMany(r => r.EnumerateObject()).SelectMany(s => s.Value.EnumerateArray()).Select(s => s.GetString()!).ToList()
                    : [];
                operations.Add(new FuzzOperation(new HttpMethod(method.Name.ToUpperInvariant()), path.Name, parameters, mediaType, schema, scopes));
            }
        }

        return operations;
    }

    private Gen<FuzzRequest> Request(FuzzOperation operation) =>
        from path in Path(operation)
        from query in Query(operation)
        from headers in Headers(operation)
        from caller in Caller(operation)
        from body in Body(operation)
        select new FuzzRequest(operation, path + query, headers, caller, body.ContentType, body.Bytes);

    private Gen<string> Path(FuzzOperation operation)
    {
        var path = Gen.Const(operation.PathTemplate);
        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            var placeholder = "{" + parameter.Name + "}";
            path = from template in path
                   from segment in Segment(operation.PathTemplate, parameter.Name)
                   select template.Replace(placeholder, segment, StringComparison.Ordinal);
        }

        return path;
    }

    /// <summary>A path segment, already escaped: a value that exists, random text, encoded junk, a very long one, unicode.</summary>
    private Gen<string> Segment(string pathTemplate, string name)
    {
        var existing = name switch
        {
            // A dead letter's own id is a number; every other {id} is a command's.
            "id" when pathTemplate.StartsWith("/api/monitoring/dead-letters/", StringComparison.Ordinal) =>
                Gen.OneOf([.. world.DeadLetterIds.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture))]),
            "id" => Gen.OneOf([.. world.CommandIds.Select(id => id.ToString())]),
            "name" => Gen.OneOf([.. world.BreakerNames]),
            _ => Alphanumeric,
        };
        return Gen.Frequency(
            (5, existing.Select(Uri.EscapeDataString)),
            (1, Gen.Guid.Select(id => id.ToString())),
            (1, Text.Select(Uri.EscapeDataString)),
            (1, Gen.OneOf(RawJunkSegments)),
            (1, Gen.Int[300, 2000].Select(length => new string('a', length))));
    }

    private Gen<string> Query(FuzzOperation operation)
    {
        var pairs = Gen.Const(new List<string>());
        foreach (var parameter in operation.Parameters.Where(p => p.In == "query"))
        {
            pairs = from list in pairs
                    from present in Gen.Bool
                    from value in ParameterValue(parameter)
                    select present ? [.. list, parameter.Name + "=" + Uri.EscapeDataString(value)] : list;
        }

        return from list in pairs
               from unknown in Gen.Frequency((3, Gen.Const((string?)null)), (1, Gen.OneOf(UnknownQueries).Select(q => (string?)q)))
               let all = unknown is null ? list : [.. list, unknown]
               select all.Count == 0 ? "" : "?" + string.Join('&', all);
    }

    /// <summary>A query or header value from the declared schema: in range, at the edges, out of range, or of another type.</summary>
    private Gen<string> ParameterValue(FuzzParameter parameter)
    {
        var schema = parameter.Schema;
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        var types = Types(schema);
        var valid = (parameter.Name, format) switch
        {
            ("status", _) => Gen.OneOf(CommandStatuses),
            ("type", _) => Gen.OneOf(CommandTypes),
            ("tenant", _) => Gen.OneOf(world.Tenant, "operators", "someone-else", ""),
            ("cursor", _) => Gen.OneOf("", "eyJ4IjoxfQ", "!!!", "MjAzMS0wNS0wNA", new string('A', 500)),
            (_, "date-time") => Gen.Int[-400, 400].Select(days => DateTimeOffset.UtcNow.AddDays(days).ToString("O", CultureInfo.InvariantCulture)),
            _ when types.Contains("integer") => Integer(schema),
            _ when types.Contains("boolean") => Gen.OneOf("true", "false"),
            _ => Text,
        };
        return Gen.Frequency(
            (4, valid),
            (1, Gen.OneOf("abc", "1.5", "-1", "0", "99999999999999999999", "1e3", "true", "2031-13-45T99:00:00Z", "")),
            (1, Text));
    }

    private static Gen<string> Integer(JsonElement schema)
    {
        var minimum = schema.TryGetProperty("minimum", out var min) ? min.GetInt64() : -10;
        var maximum = schema.TryGetProperty("maximum", out var max) ? max.GetInt64() : 1000;
        return Gen.Frequency(
            (3, Gen.Long[minimum, maximum].Select(n => n.ToString(CultureInfo.InvariantCulture))),
            (1, Gen.OneOf(minimum - 1, minimum, maximum, maximum + 1, long.MaxValue, long.MinValue).Select(n => n.ToString(CultureInfo.InvariantCulture))));
    }

    private Gen<IReadOnlyList<KeyValuePair<string, string>>> Headers(FuzzOperation operation)
    {
        var headers = Gen.Const(new List<KeyValuePair<string, string>>());
        foreach (var parameter in operation.Parameters.Where(p => p.In == "header"))
        {
            var value = parameter.Name switch
            {
                // A small pool of keys, so that replays (the first answer again) and conflicts (422) happen too.
                "Idempotency-Key" => Gen.Frequency((3, Gen.Int[1, 6].Select(n => "fuzz-key-" + n.ToString(CultureInfo.InvariantCulture))), (1, Gen.OneOf(BadAsciiIdempotencyKeys))),
                "Command-Timeout" => Gen.Frequency((3, ParameterValue(parameter)), (1, Gen.OneOf(MalformedInputs.BadTimeouts))),
                "Not-Before" => Gen.Frequency((3, NotBefore), (1, ParameterValue(parameter))),
                _ => ParameterValue(parameter),
            };
            headers = from list in headers
                      from present in Gen.Bool
                      from v in value
                      select present ? [.. list, new(parameter.Name, AsciiOnly(v))] : list;
        }

        var extra = Gen.Frequency(
            (6, Gen.Const((KeyValuePair<string, string>?)null)),
            (1, Gen.OneOf("00-zz-1-01", "00-" + new string('0', 32) + "-" + new string('0', 16) + "-00", "ff-x", new string('t', 600)).Select(v => (KeyValuePair<string, string>?)new("traceparent", v))),
            (1, Gen.Int[1, 2000].Select(n => (KeyValuePair<string, string>?)new("tracestate", string.Concat(Enumerable.Repeat("k=v,", n))))),
            // Accept values that admit JSON and some that exclude it: a problem is problem+json either way.
            (1, Gen.OneOf("*/*", "application/json", "application/problem+json", "application/*", "text/html", "text/html, application/json;q=0", "image/png")
                .Select(v => (KeyValuePair<string, string>?)new("Accept", v))),
            (1, Gen.OneOf("not-an-ip", "10.0.0.1, 10.0.0.2", "::1", "999.1.1.1").Select(v => (KeyValuePair<string, string>?)new("X-Forwarded-For", v))));
        return from list in headers
               from header in extra
               select (IReadOnlyList<KeyValuePair<string, string>>)(header is { } h ? [.. list, h] : list);
    }

    /// <summary>Mostly a caller with the scope the operation requires; sometimes none, a garbage token or another scope.</summary>
    private Gen<FuzzCaller> Caller(FuzzOperation operation)
    {
        // The monitoring group requires admin, breaker control operator as well: the narrowest scope named is the one to hold.
        var scope = operation.Scopes.Contains("operator") ? "operator" : operation.Scopes.FirstOrDefault();
        var right = scope is null ? world.Strangers[0] : world.CallersByScope[scope];
        return Gen.Frequency(
            (5, Gen.Const(right)),
            (2, Gen.OneOf([.. world.Strangers])),
            (2, Gen.OneOf([.. world.CallersByScope.Values])));
    }

    private Gen<(string? ContentType, byte[]? Bytes)> Body(FuzzOperation operation)
    {
        if (operation.BodySchema is not { } schema)
        {
            // A body nobody asked for, now and then.
            return Gen.Frequency(
                (8, Gen.Const<(string?, byte[]?)>((null, null))),
                (1, Gen.OneOf(MalformedInputs.BadBodies).Select(b => ((string?)"application/json", (byte[]?)Encoding.UTF8.GetBytes(b)))));
        }

        if (operation.BodyMediaType == "application/x-www-form-urlencoded")
        {
            return from form in Form(schema)
                   from contentType in Gen.Frequency((6, Gen.Const(operation.BodyMediaType)), (1, Gen.OneOf("application/json", "text/plain", "")))
                   select ((string?)contentType, (byte[]?)Encoding.UTF8.GetBytes(form));
        }

        // A batch is accepted only when every item's body is valid, which generated items rarely all are: mix in known-good ones.
        var json = operation.PathTemplate == "/api/commands/batch" ? Gen.Frequency((3, JsonBody(schema)), (1, KnownGoodBatch)) : JsonBody(schema);
        return from text in json
               from contentType in Gen.Frequency(
                   (8, Gen.Const("application/json")),
                   (1, Gen.Const("application/json; charset=utf-8")),
                   (1, Gen.OneOf(MalformedInputs.BadContentTypes)))
               select ((string?)contentType, (byte[]?)text);
    }

    /// <summary>The token endpoint's form: the real client's credentials, another client's, or defective fields.</summary>
    private Gen<string> Form(JsonElement schema)
    {
        var fields = Gen.Const(new List<string>());
        foreach (var property in Resolve(schema).GetProperty("properties").EnumerateObject())
        {
            var value = property.Name switch
            {
                "grant_type" => Gen.Frequency((5, Gen.Const("client_credentials")), (1, Gen.OneOf("password", "authorization_code", "", "CLIENT_CREDENTIALS"))),
                "client_id" => Gen.Frequency((4, Gen.Const(world.ClientId)), (1, Gen.Guid.Select(g => "cli_" + g.ToString("N"))), (1, Text)),
                "client_secret" => Gen.Frequency((3, Gen.Const(world.ClientSecret)), (1, Gen.Const(world.ClientSecret + "x")), (1, Text)),
                "scope" => Gen.OneOf("commands", "admin", "operator", "commands admin", "", "nope"),
                _ => Text,
            };
            fields = from list in fields
                     from present in Gen.Frequency((5, Gen.Const(true)), (1, Gen.Const(false)))
                     from v in value
                     select present ? [.. list, property.Name + "=" + Uri.EscapeDataString(v)] : list;
        }

        return from list in fields
               from extra in Gen.Frequency((5, Gen.Const("")), (1, Gen.OneOf("&grant_type=client_credentials", "&%ZZ=1", "&x=" + new string('y', 5000))))
               select string.Join('&', list) + extra;
    }

    /// <summary>A JSON body: a valid-looking instance of <paramref name="schema"/>, or one with a defect.</summary>
    private Gen<byte[]> JsonBody(JsonElement schema)
    {
        var instance = Instance(schema, null, 0);
        var valid = instance.Select(Serialize);
        var objects = instance.Where(node => node is JsonObject { Count: > 0 }).Select(node => (JsonObject)node!);
        return Gen.Frequency(
            (6, valid),
            (1, from o in objects
                from index in Gen.Int[0, 100]
                from wrong in WrongValue
                select Serialize(With(o, index, wrong()))),
            (1, from o in objects
                from index in Gen.Int[0, 100]
                select Serialize(Without(o, index))),
            (1, from o in objects
                from name in Alphanumeric
                select Serialize(Added(o, "x" + name, JsonValue.Create(true)))),
            (1, from o in objects
                from index in Gen.Int[0, 100]
                from length in Gen.OneOf(1_000, 10_000, 70_000)
                select Serialize(With(o, index, JsonValue.Create(new string('x', length))))),
            (1, from depth in Gen.OneOf(65, 1_000, 20_000)
                from open in Gen.OneOf("[", "{\"a\":")
                select Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(open == "[" ? "]" : "}", depth)))),
            (2, Gen.OneOf(MalformedInputs.BadBodies).Select(Encoding.UTF8.GetBytes)),
            (1, Gen.Const(new byte[] { 0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D })));
    }

    private static readonly Gen<Func<JsonNode?>> WrongValue = Gen.OneOf<Func<JsonNode?>>(
        () => JsonValue.Create("10"), () => JsonValue.Create(10), () => JsonValue.Create(-1.5), () => JsonValue.Create(true),
        () => new JsonArray(), () => new JsonObject(), () => null, () => JsonValue.Create(1e308));

    /// <summary>A valid-looking instance: required properties always, optional ones half the time, known-good values by property name.</summary>
    private Gen<JsonNode?> Instance(JsonElement schema, string? name, int depth)
    {
        schema = Resolve(schema);
        if (schema.TryGetProperty("oneOf", out var oneOf) || schema.TryGetProperty("anyOf", out oneOf))
        {
            return Gen.OneOf([.. oneOf.EnumerateArray().Select(s => Instance(s, name, depth + 1))]);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            // A union told apart by a constant (the batch's item kinds): mostly the constant, so the rest of the kind applies.
            var raw = constant.GetRawText();
            return Gen.Frequency((6, Gen.Const(raw).Select(text => JsonNode.Parse(text))), (1, Text.Select(t => (JsonNode?)JsonValue.Create(t))));
        }

        var types = Types(schema);
        if (types.Count == 0 && schema.TryGetProperty("properties", out _))
        {
            types = ["object"];
        }

        if (types.Count > 1)
        {
            // Nullable fields ("null" among the types) are mostly given a value, so that the instance does something.
            return Gen.Frequency([.. types.Select(type => (type == "null" ? 1 : 4, Single(schema, type, name, depth)))]);
        }

        return types.Count == 1 ? Single(schema, types[0], name, depth) : Strings("any", "");
    }

    private Gen<JsonNode?> Single(JsonElement schema, string type, string? name, int depth)
    {
        if (Hint(name) is { } hint)
        {
            return hint;
        }

        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        return type switch
        {
            "null" => Gen.Const((JsonNode?)null),
            "boolean" => Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            "integer" => Gen.Int[1, 1000].Select(n => (JsonNode?)JsonValue.Create(n)),
            "number" => Gen.Int[1, 100_000].Select(cents => (JsonNode?)JsonValue.Create(cents / 100m)),
            "string" when format == "date-time" => Gen.Int[-30, 0].Select(days => (JsonNode?)JsonValue.Create(DateTimeOffset.UtcNow.AddDays(days).ToString("O", CultureInfo.InvariantCulture))),
            "string" when format == "uuid" => Gen.OneOf([.. world.CommandIds]).Select(id => (JsonNode?)JsonValue.Create(id)),
            "string" => Text.Select(s => (JsonNode?)JsonValue.Create(s)),
            "array" when depth < 4 && schema.TryGetProperty("items", out var items) => Instance(items, null, depth + 1).Array[0, 3].Select(a => (JsonNode?)new JsonArray(a)),
            "object" when depth < 4 => Object(schema, depth),
            _ => Gen.Const((JsonNode?)null),
        };
    }

    private Gen<JsonNode?> Object(JsonElement schema, int depth)
    {
        var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal) : [];
        var result = Gen.Const(new List<KeyValuePair<string, JsonNode?>>());
        if (schema.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                var name = property.Name;
                var value = Instance(property.Value, name, depth + 1);
                var isRequired = required.Contains(name);
                result = from list in result
                         from present in Gen.Bool
                         from v in value
                         select isRequired || present ? [.. list, new(name, v)] : list;
            }
        }

        return result.Select(list => (JsonNode?)new JsonObject(list));
    }

    /// <summary>Values the command types and operations accept, by property name (the schemas do not list them).</summary>
    private Gen<JsonNode?>? Hint(string? name) => name switch
    {
        "currency" => Strings("EUR", "USD", "GBP", "eur", "XXX"),
        "customerId" => Strings("cus_1", "cus_fuzz"),
        "channel" => Strings("email", "sms", "fax"),
        "to" => Strings("ada@example.com", "+4915112345678", "not-an-address"),
        "fallbackTo" => Strings("+4915112345678", "ada@example.com"),
        "carrier" => Strings("dhl", "ups", "dpd", "fedex"),
        "country" => Strings("DE", "FR", "de", "DEU"),
        "postalCode" => Strings("10115", "SW1A 1AA", "!!"),
        "tenant" => Strings(world.Tenant, "operators", "someone-else"),
        "type" => Strings(CommandTypes),
        "notBefore" => NotBefore.Select(v => (JsonNode?)JsonValue.Create(v)),
        "idempotencyKey" => Gen.Int[1, 6].Select(n => (JsonNode?)JsonValue.Create("fuzz-item-key-" + n.ToString(CultureInfo.InvariantCulture))),
        // A redrive's fresh deadline: mostly within the 30 days allowed, sometimes past or beyond them.
        "deadline" => Gen.Int[-2, 35].Select(days => (JsonNode?)JsonValue.Create(DateTimeOffset.UtcNow.AddDays(days).AddMinutes(1).ToString("O", CultureInfo.InvariantCulture))),
        _ => null,
    };

    /// <summary>Non-ASCII header values percent-encoded (HttpClient refuses them, and so would Kestrel; see BadAsciiIdempotencyKeys).</summary>
    private static string AsciiOnly(string value) => value.All(char.IsAscii) ? value : Uri.EscapeDataString(value);

    private static Gen<JsonNode?> Strings(params string[] values) => Gen.OneOf(values).Select(v => (JsonNode?)JsonValue.Create(v));

    private JsonElement Resolve(JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var reference))
        {
            // "#/components/schemas/<name>"
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..]);
        }

        return schema;
    }

    private static List<string> Types(JsonElement schema) => !schema.TryGetProperty("type", out var type)
        ? []
        : type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)] : [type.GetString()!];

    private static JsonObject With(JsonObject o, int index, JsonNode? value)
    {
        var key = o.ElementAt(index % o.Count).Key;
        o[key] = value;
        return o;
    }

    private static JsonObject Without(JsonObject o, int index)
    {
        o.Remove(o.ElementAt(index % o.Count).Key);
        return o;
    }

    private static JsonObject Added(JsonObject o, string name, JsonNode? value)
    {
        o[name] = value;
        return o;
    }

    private static byte[] Serialize(JsonNode? node) => Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null");
}
