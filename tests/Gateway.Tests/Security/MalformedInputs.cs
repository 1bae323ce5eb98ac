namespace Messaging.Gateway.Tests.Security;

/// <summary>
/// Defective request parts, each refused by the commands API: shared by the in-memory <see cref="MalformedRequestTests"/>
/// and the Kestrel <see cref="RouteFuzzerTests"/>.
/// </summary>
internal static class MalformedInputs
{
    public static readonly string[] BadContentTypes = ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "json", ""];

    // Header values are trimmed on the wire, and an empty one is not sent: those are not defects.
    public static readonly string[] BadIdempotencyKeys = ["has space", "tab\tinside", new string('k', 256), "ключ"];

    public static readonly string[] BadTimeouts = ["0", "-1", "86401", "abc", "1.5", "99999999999999999999", "10s", "1e3"];

    public static readonly string[] BadBodies =
    [
        "", "{", "}", "[]", "null", "42", "\"text\"", "{\"amount\":}", "{'amount':1}", "{\"amount\":1,}", "\u0000\u0001\u0002",
        """{"amount":0,"currency":"EUR","customerId":"c"}""",
        """{"amount":-5,"currency":"EUR","customerId":"c"}""",
        """{"amount":1e400,"currency":"EUR","customerId":"c"}""",
        """{"amount":"10","currency":"EUR","customerId":"c"}""",
        """{"amount":1,"currency":"eur","customerId":"c"}""",
        """{"amount":1,"currency":"XXX","customerId":"c"}""",
        """{"amount":1,"currency":"EUR"}""",
        """{"amount":1,"currency":"EUR","customerId":""}""",
        """{"amount":1,"currency":"EUR","customerId":"c","extra":true}""",
        """{"amount":1,"currency":"EUR","customerId":"c","customerId":"d"}""",
        """{"amount":1.123456,"currency":"EUR","customerId":"c"}""",
        """{"channel":"fax","to":"x","body":"b"}""",
        """{"channel":"email","to":"not-an-address","body":"b"}""",
        """{"channel":"sms","to":"12345","body":"b"}""",
        """{"channel":"email","to":"a@example.com","body":""}""",
    ];
}
