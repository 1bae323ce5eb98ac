using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// Secrets never reach logs: after driving the whole path (client credentials, bearer tokens, the
/// payments OAuth2 secret and token, the notifications API key, database passwords), everything every
/// process of the suite has logged so far is scanned for every secret the suite used.
/// </summary>
public sealed class SecretLeakTests(SystemFixture system)
{
    private static readonly string[] KnownSecrets =
    [
        "fake-payments-secret",
        "fake-notifications-key",
        SystemFixture.SigningKey,
        SystemFixture.SecretPepper,
        "Password=messaging",
        "guest:guest",
    ];

    [Fact]
    public async Task ProcessLogs_NeverContainTheSecretsTheSuiteUsed()
    {
        var token = await system.TokenAsync("tenant-secrets");
        var ids = new List<string>();
        foreach (var (type, body) in new[]
        {
            ("payments.charge", """{"amount":7,"currency":"EUR","customerId":"cus_secret"}"""),
            ("notifications.send", """{"channel":"sms","to":"+4915112345678","body":"code 1234"}"""),
        })
        {
            using var request = system.Request(HttpMethod.Post, $"api/commands/{type}", token, new StringContent(body, Encoding.UTF8, "application/json"));
            using var response = await system.Http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!);
        }

        foreach (var id in ids)
        {
            Assert.Equal("Succeeded", (await system.WaitForStatusAsync(token, id, "Succeeded")).GetProperty("status").GetString());
        }

        var secrets = KnownSecrets.Concat(system.SecretsUsed).Where(s => s.Length >= 8).Distinct().ToList();
        var logs = system.Processes.Select(p => (p.Name, Text: p.ReadLog())).ToList();

        Assert.NotEmpty(logs);
        Assert.All(logs, log => Assert.False(string.IsNullOrEmpty(log.Text), $"{log.Name} logged nothing: the scan would prove nothing"));
        foreach (var (name, text) in logs)
        {
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{name}'s log contains a secret ({secret[..4]}…)");
            }

            Assert.DoesNotContain("Bearer ey", text, StringComparison.Ordinal);
        }
    }
}
