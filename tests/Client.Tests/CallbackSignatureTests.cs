using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace Messaging.Client.Tests;

/// <summary>The client's callback verifier against signatures made by the StandardWebhooks package (the specification's library).</summary>
public sealed class CallbackSignatureTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string OtherSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private const string Body = """{"type":"command.succeeded","data":{"id":"0199a3c0-0000-7000-8000-000000000000","status":"Succeeded"}}""";

    private static string SignWith(string secret, string id, DateTimeOffset at, string body) =>
        new StandardWebhook(secret).Sign(id, at, body);

    private static CallbackVerification Verify(string body, string? id, string? timestamp, string? signature, params string[] secrets) =>
        CallbackSignature.Verify(Encoding.UTF8.GetBytes(body), id, timestamp, signature, secrets, new FakeTimeProvider(Now));

    private static string Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void ASignatureOfTheLibrary_IsValid()
    {
        var signature = SignWith(Secret, "msg_1", Now, Body);

        Assert.StartsWith("v1,", signature, StringComparison.Ordinal);
        Assert.Equal(CallbackVerification.Valid, Verify(Body, "msg_1", Seconds(Now), signature, Secret));
    }

    [Fact]
    public void OneValidSignatureAmongSeveral_OrOneOfTwoSecrets_IsEnough()
    {
        // While the gateway rotates a client's secret it signs with both; the receiver may hold either or both.
        var both = $"{SignWith(OtherSecret, "msg_2", Now, Body)} {SignWith(Secret, "msg_2", Now, Body)}";

        Assert.Equal(CallbackVerification.Valid, Verify(Body, "msg_2", Seconds(Now), both, Secret));
        Assert.Equal(CallbackVerification.Valid, Verify(Body, "msg_2", Seconds(Now), SignWith(OtherSecret, "msg_2", Now, Body), Secret, OtherSecret));
        Assert.Equal(CallbackVerification.Valid, Verify(Body, "msg_2", Seconds(Now), "v1a,c29tZXRoaW5n " + SignWith(Secret, "msg_2", Now, Body), Secret));
    }

    [Fact]
    public void AChangedBodyIdOrTimestamp_OrAnotherSecret_IsAMismatch()
    {
        var signature = SignWith(Secret, "msg_3", Now, Body);

        Assert.Equal(CallbackVerification.SignatureMismatch, Verify(Body.Replace("Succeeded", "Failed", StringComparison.Ordinal), "msg_3", Seconds(Now), signature, Secret));
        Assert.Equal(CallbackVerification.SignatureMismatch, Verify(Body, "msg_4", Seconds(Now), signature, Secret));
        Assert.Equal(CallbackVerification.SignatureMismatch, Verify(Body, "msg_3", Seconds(Now.AddSeconds(1)), signature, Secret));
        Assert.Equal(CallbackVerification.SignatureMismatch, Verify(Body, "msg_3", Seconds(Now), signature, OtherSecret));
        Assert.Equal(CallbackVerification.SignatureMismatch, Verify(Body, "msg_3", Seconds(Now), "v1,not-base64!", Secret));
        Assert.Equal(CallbackVerification.SignatureMismatch, Verify(Body, "msg_3", Seconds(Now), signature[3..], Secret));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void ATimestampMoreThanFiveMinutesAway_IsRefused_EvenWithAValidSignature(int offsetSeconds)
    {
        var at = Now.AddSeconds(offsetSeconds);

        Assert.Equal(CallbackVerification.TimestampOutOfRange, Verify(Body, "msg_5", Seconds(at), SignWith(Secret, "msg_5", at, Body), Secret));
        Assert.Equal(CallbackVerification.Valid, Verify(Body, "msg_5", Seconds(Now.AddSeconds(299)), SignWith(Secret, "msg_5", Now.AddSeconds(299), Body), Secret));
    }

    [Theory]
    [InlineData(null, "1", "v1,x")]
    [InlineData("msg", null, "v1,x")]
    [InlineData("msg", "1", null)]
    [InlineData("", "1", "v1,x")]
    public void MissingHeaders_AreSaidSo(string? id, string? timestamp, string? signature) =>
        Assert.Equal(CallbackVerification.MissingHeaders, Verify(Body, id, timestamp, signature, Secret));

    [Fact]
    public void ATimestampThatIsNotANumber_IsOutOfRange() =>
        Assert.Equal(CallbackVerification.TimestampOutOfRange, Verify(Body, "msg", "2026-12-07T12:00:00Z", "v1,x", Secret));

    [Fact]
    public void AMalformedSecret_IsAnArgumentError_ThatDoesNotEchoIt()
    {
        var error = Assert.Throws<ArgumentException>(() => Verify(Body, "msg", Seconds(Now), "v1,x", "whsec_%%%not-base64"));

        Assert.DoesNotContain("%%%", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeadersReadByName_AreTheOnesTheSpecificationNames()
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Webhook-Id"] = "msg_6",
            ["Webhook-Timestamp"] = Seconds(Now),
            ["Webhook-Signature"] = SignWith(Secret, "msg_6", Now, Body),
        };

        Assert.Equal(CallbackVerification.Valid, CallbackSignature.Verify(Encoding.UTF8.GetBytes(Body), name => headers.GetValueOrDefault(name), [Secret],
            new FakeTimeProvider(Now)));
    }
}
