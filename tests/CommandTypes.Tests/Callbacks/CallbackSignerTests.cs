using Messaging.CommandTypes.Callbacks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Messaging.CommandTypes.Tests.Callbacks;

/// <summary>
/// The callbacks' signatures. They are made with the StandardWebhooks package; the tests also check them with it, so
/// what they pin is our use of it: the headers, one entry per secret, and the secrets' form.
/// </summary>
public sealed class CallbackSignerTests
{
    private const string Body = """{"type":"command.failed","data":{"id":"0199a3c0-0000-7000-8000-000000000001","status":"Failed"}}""";

    // Each header as the raw value sent on the wire (HttpHeaders would split a value at its commas when enumerated).
    private static HeaderDictionary Headers(HttpRequestMessage request) =>
        new(request.Headers.NonValidated.ToDictionary(h => h.Key, h => new Microsoft.Extensions.Primitives.StringValues(h.Value.ToString()), StringComparer.OrdinalIgnoreCase));

    private static HttpRequestMessage Signed(string id, DateTimeOffset at, params string[] secrets)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "https://receiver.example/callbacks");
        CallbackSigner.Sign(request.Headers, id, at, Body, secrets);
        return request;
    }

    [Fact]
    public void ASignedCallback_VerifiesWithTheLibrary()
    {
        var secret = CallbackSigner.NewSecret();
        using var request = Signed("evt_1", DateTimeOffset.UtcNow, secret);

        new StandardWebhook(secret).Verify(Body, Headers(request)); // throws when it does not verify

        Assert.Equal("evt_1", request.Headers.GetValues(CallbackSigner.IdHeader).Single());
    }

    [Fact]
    public void DuringARotation_BothSecretsSign_EachSignatureVerifyingWithItsSecret()
    {
        var (current, previous) = (CallbackSigner.NewSecret(), CallbackSigner.NewSecret());
        using var request = Signed("evt_2", DateTimeOffset.UtcNow, current, previous);
        var headers = Headers(request);
        var entries = headers[CallbackSigner.SignatureHeader].ToString().Split(' ');

        // Each entry alone: StandardWebhooks 1.1.2 stops after the first of two space-separated signatures (its loop
        // ends when no space follows), so the second is checked by giving it on its own.
        Assert.Equal(2, entries.Length);
        headers[CallbackSigner.SignatureHeader] = entries[0];
        new StandardWebhook(current).Verify(Body, headers);
        headers[CallbackSigner.SignatureHeader] = entries[1];
        new StandardWebhook(previous).Verify(Body, headers);
    }

    [Fact]
    public void AnotherSecret_OrAChangedBody_DoesNotVerify()
    {
        var secret = CallbackSigner.NewSecret();
        using var request = Signed("evt_3", DateTimeOffset.UtcNow, secret);

        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(CallbackSigner.NewSecret()).Verify(Body, Headers(request)));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(secret).Verify(Body.Replace("Failed", "Succeeded", StringComparison.Ordinal), Headers(request)));
    }

    [Fact]
    public void NewSecrets_AreDistinct_AndInTheReceiversForm()
    {
        var secrets = Enumerable.Range(0, 20).Select(_ => CallbackSigner.NewSecret()).ToList();

        Assert.Equal(20, secrets.Distinct(StringComparer.Ordinal).Count());
        Assert.All(secrets, s => Assert.Equal(32, Convert.FromBase64String(s["whsec_".Length..]).Length));
    }

    [Fact]
    public void AMalformedSecret_OrNone_IsRefused_WithoutEchoingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => CallbackSigner.Signature("evt", DateTimeOffset.UtcNow, "{}", ["plain-secret-value"]));

        Assert.DoesNotContain("plain-secret-value", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CallbackSigner.Signature("evt", DateTimeOffset.UtcNow, "{}", []));
    }
}
