using Messaging.ServiceDefaults.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.ServiceDefaults.Tests;

public sealed partial class LogRedactionTests
{
    private const string ClientSecret = "s3cr3t-client-secret-value";
    private const string Email = "jane.doe@example.org";

    [Fact]
    public async Task LoggerMessage_WithSecretAndPersonalParameters_LogsThemErased()
    {
        await using var app = await TestApplication.StartAsync();
        var logger = app.Services.GetRequiredService<ILogger<LogRedactionTests>>();

        Log.ClientAuthenticated(logger, "client-42", ClientSecret, Email);

        var record = Assert.Single(app.Logs.GetSnapshot(), r => r.Id.Name == "ClientAuthenticated");
        Assert.Contains("client-42", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Email, record.Message, StringComparison.Ordinal);
        Assert.Equal("client-42", record.GetStructuredStateValue("ClientId"));
        Assert.Equal("", record.GetStructuredStateValue("ClientSecret"));
        Assert.Equal("", record.GetStructuredStateValue("To"));
    }

    [Fact]
    public async Task HttpClientFactory_LogsHeaderNamesButNotAuthorizationValue()
    {
        const string token = "eyJ-bearer-token-value";
        await using var app = await TestApplication.StartAsync(
            configureBuilder: builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
                builder.Services.AddHttpClient("probe");
            },
            configureApp: a => a.MapGet("/echo", () => TypedResults.Ok()));
        using var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("probe");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(app.Client.BaseAddress!, "/echo"));
        request.Headers.Authorization = new("Bearer", token);

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        response.EnsureSuccessStatusCode();
        var logs = app.Logs.GetSnapshot().Where(r => r.Category?.StartsWith("System.Net.Http.HttpClient.probe", StringComparison.Ordinal) == true).ToList();
        Assert.Contains(logs, r => r.Message.Contains("Authorization", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, r => r.Message.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddServiceDefaults_RegistersSystemTimeProvider()
    {
        await using var app = await TestApplication.StartAsync();

        Assert.Same(TimeProvider.System, app.Services.GetRequiredService<TimeProvider>());
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ClientAuthenticated", Level = LogLevel.Information,
            Message = "Client {ClientId} authenticated with {ClientSecret}; notifying {To}")]
        public static partial void ClientAuthenticated(ILogger logger, string clientId, [Secret] string clientSecret, [Personal] string to);
    }
}
