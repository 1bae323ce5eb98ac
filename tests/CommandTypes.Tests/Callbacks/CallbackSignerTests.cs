using System.Security.Cryptography;
using Messaging.CommandTypes.Callbacks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Messaging.CommandTypes.Tests.Callbacks;

/// <summary>Our Standard Webhooks signatures, checked with the StandardWebhooks package rather than with our own code.</summary>
public sealed class CallbackSignerTests
{
    private const string Body = """{"type":"command.succeeded","timestamp":"2026-12-07T20:00:00Z","data":{"id":"0199a3c1","status":"Succeeded"}}""";

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static HeaderDictionary Headers(string id, DateTimeOffset at, string signature) => new()
    {
        [CallbackSigner.IdHeader] = id,
        [CallbackSigner.TimestampHeader] = CallbackSigner.TimestampOf(at),
        [CallbackSigner.SignatureHeader] = signature,
    };

    [Fact]
    public void ASignature_VerifiesWithTheStandardWebhooksPackage()
    {
        var secret = NewSecret();
        var id = CallbackSigner.WebhookIdOf(Guid.CreateVersion7());
        var now = DateTimeOffset.UtcNow; // the package checks the timestamp against its own clock

        var signature = CallbackSigner.Sign(id, now, Body, [secret]);

        new StandardWebhook(secret).Verify(Body, Headers(id, now, signature));
        Assert.Equal(new StandardWebhook(secret).Sign(id, now, Body), signature);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // rotated twice within a grace period
    public void DuringARotation_EverySecretVerifies(int count)
    {
        var secrets = Enumerable.Range(0, count).Select(_ => NewSecret()).ToArray();
        var id = CallbackSigner.WebhookIdOf(Guid.CreateVersion7());
        var now = DateTimeOffset.UtcNow;

        var signature = CallbackSigner.Sign(id, now, Body, secrets);

        // The last is repeated: the package checks every entry but the last of a list.
        Assert.Equal(count + 1, signature.Split(' ').Length);
        Assert.All(secrets, secret => new StandardWebhook(secret).Verify(Body, Headers(id, now, signature)));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(NewSecret()).Verify(Body, Headers(id, now, signature)));
    }

    [Fact]
    public void AChangedBodyIdOrTimestamp_DoesNotVerify()
    {
        var secret = NewSecret();
        var id = CallbackSigner.WebhookIdOf(Guid.CreateVersion7());
        var now = DateTimeOffset.UtcNow;
        var signature = CallbackSigner.Sign(id, now, Body, [secret]);
        var webhook = new StandardWebhook(secret);

        Assert.Throws<WebhookVerificationException>(() => webhook.Verify(Body.Replace("succeeded", "failed", StringComparison.Ordinal), Headers(id, now, signature)));
        Assert.Throws<WebhookVerificationException>(() => webhook.Verify(Body, Headers(CallbackSigner.WebhookIdOf(Guid.CreateVersion7()), now, signature)));
        Assert.Throws<WebhookVerificationException>(() => webhook.Verify(Body, Headers(id, now.AddSeconds(-1), signature)));
    }

    [Fact]
    public void WebhookIds_DifferPerDelivery()
    {
        var id = CallbackSigner.WebhookIdOf(Guid.CreateVersion7());

        Assert.Matches("^msg_[0-9a-f]{32}$", id);
        Assert.NotEqual(id, CallbackSigner.WebhookIdOf(Guid.CreateVersion7()));
    }

    [Fact]
    public void Sign_RefusesNoSecretOrAMalformedOne_WithoutShowingIt()
    {
        Assert.Throws<ArgumentException>(() => CallbackSigner.Sign("msg_1", DateTimeOffset.UtcNow, Body, []));
        var refused = Assert.Throws<ArgumentException>(() => CallbackSigner.Sign("msg_1", DateTimeOffset.UtcNow, Body, ["whsec_not*base64"]));
        Assert.DoesNotContain("not*base64", refused.Message, StringComparison.Ordinal);
    }
}
