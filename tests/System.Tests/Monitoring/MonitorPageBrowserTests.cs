using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Store.DeadLetters;
using Messaging.Store.Outbox;
using Messaging.Testing;
using Messaging.Testing.Harness;
using Microsoft.Playwright;
using Npgsql;

namespace Messaging.System.Tests.Monitoring;

/// <summary>
/// The /monitor page in Debian's chromium, driven by Playwright, against a Gateway and Workers of its own (real
/// processes, own database and virtual host, the system fixture's FakeServices): an operator signs in, watches a
/// breaker alert fire and clear from the page's Reset button (and the reset appear in the audit section), watches the
/// payments queue fill while the workers are stopped (and the no-consumer alert fire), redrives a dead letter from the
/// page and watches it go; then a tenant admin signs in and sees its tenant only. Saves a screenshot under load to
/// artifacts/monitor.png (ignored by git): the tracked docs/monitor.png is refreshed by hand, never by a test run.
/// </summary>
public sealed class MonitorPageBrowserTests(SystemFixture system) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan PageWait = TimeSpan.FromSeconds(30);
    private readonly ServicesFixture _services = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private ServiceProcess? _gateway;
    private ServiceProcess? _workers;
    private Uri _gatewayUrl = null!;

    public async ValueTask InitializeAsync()
    {
        await _services.InitializeAsync();
        var logs = Path.Combine(RepositoryPaths.TestLogs, _services.RabbitMqVirtualHost);
        var port = FreePort();
        _gatewayUrl = new Uri($"http://127.0.0.1:{port}/");
        var gateway = Environment(system.GatewayEnvironment());
        gateway["Urls"] = $"http://127.0.0.1:{port}";
        gateway["Monitoring__SampleInterval"] = "00:00:00.500";
        gateway["Alerts__BreakerOpenFor"] = "00:00:01";
        gateway["Alerts__QueueWithoutConsumersFor"] = "00:00:02";
        var workers = Environment(system.WorkersEnvironment());
        workers["Urls"] = $"http://127.0.0.1:{FreePort()}";
        _gateway = new ServiceProcess("monitor-gateway", RepositoryPaths.Gateway, gateway, logs);
        _workers = new ServiceProcess("monitor-workers", RepositoryPaths.Workers, workers, logs);
        _gateway.Start();
        await WaitForAsync(new Uri(_gatewayUrl, "health/live"));
        _workers.Start();
        await WaitForAsync(new Uri(workers["Urls"] + "/health/live"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_workers is not null)
        {
            await _workers.DisposeAsync();
        }

        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        _http.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task AnOperator_SeesAlertsFireAndClear_QueuesFill_AndRedrivesADeadLetter_ATenantAdminSeesItsTenantOnly()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `scripts/services up`.");
        var admin = await AddClientAsync("operators", "operator");
        var commands = await AddClientAsync("tenant-monitor", "commands");
        var adminToken = await TokenAsync(admin);
        var commandsToken = await TokenAsync(commands);

        // One command through, so the workers have built (and published) the payments endpoints' breakers.
        var first = await SubmitAsync(commandsToken, 1);
        await WaitForStatusAsync(commandsToken, first, "Succeeded");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var scriptErrors = new List<string>();
        page.Console += (_, message) => CollectError(message, scriptErrors);
        page.SetDefaultTimeout((float)PageWait.TotalMilliseconds);

        // Sign in: the page is anonymous, its data is not.
        await SignInAsync(page, admin);
        await page.WaitForSelectorAsync("tr[data-queue='payments.charge']");
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length"));
        await page.WaitForSelectorAsync("#view[data-view='fleet']");
        Assert.Equal("Fleet (operator)", await page.TextContentAsync("#view"));

        // A breaker opens (isolated by an operator): its alert fires on the page, and the page's Reset clears it.
        var breakers = await PaymentsBreakersAsync(adminToken);
        foreach (var breaker in breakers)
        {
            using var isolate = Request(HttpMethod.Post, $"api/monitoring/breakers/{Uri.EscapeDataString(breaker)}/isolate", adminToken);
            Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(isolate, TestContext.Current.CancellationToken)).StatusCode);
        }

        await page.WaitForSelectorAsync("article.alert[data-rule='BreakerOpen']");
        foreach (var breaker in breakers)
        {
            await page.ClickAsync($"tr[data-breaker='{breaker}'] button[data-action='reset']");
            await page.WaitForSelectorAsync($"tr[data-breaker='{breaker}'] [data-field='state']:text-is('closed')");
            await page.WaitForSelectorAsync($"#audit tr[data-audit-action='breaker.reset'][data-audit-target='{breaker}']");
        }

        await page.WaitForSelectorAsync("article.alert[data-rule='BreakerOpen']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached });

        // The workers stop: submitted commands pile up in the payments queue, and the no-consumer alert fires.
        await _workers!.DisposeAsync();
        _workers = null;
        var ready = await ReadyAsync(page);
        var submitted = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            submitted.Add(await SubmitAsync(commandsToken, i + 2));
        }

        await page.WaitForFunctionAsync(
            "expected => Number(document.querySelector(\"tr[data-queue='payments.charge'] [data-field='ready']\").textContent.replace(/\\D/g, '')) >= expected",
            ready + 20);
        await page.WaitForSelectorAsync("article.alert[data-rule='QueueWithoutConsumers']");

        // A dead letter (recorded as the workers' dead-letter path records one) shows by type; Redrive sends it back.
        await SeedDeadLetterAsync(Guid.Parse(submitted[0]));
        await page.WaitForSelectorAsync("tr[data-dead-letter-type='payments.charge'] [data-field='count']:text-is('1')");
        await page.WaitForTimeoutAsync(1500); // let the sparkline and rates show the backlog for the screenshot
        var screenshot = Path.Combine(RepositoryPaths.Root, "artifacts", "monitor.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        await page.ClickAsync("tr[data-dead-letter-type='payments.charge'] button[data-action='redrive']");
        await page.WaitForSelectorAsync("tr[data-dead-letters='none']");
        Assert.Contains("sent back", await page.TextContentAsync("#notice") ?? "", StringComparison.Ordinal);

        // A tenant admin, in a context of its own: its tenant's view (its waiting commands, the shared breakers), and
        // neither breaker controls nor the fleet's alerts, rate limiting or the operator's audit records.
        var tenantAdmin = await AddClientAsync("tenant-monitor", "admin");
        await using var tenantContext = await browser.NewContextAsync();
        var tenantPage = await tenantContext.NewPageAsync();
        tenantPage.Console += (_, message) => CollectError(message, scriptErrors);
        tenantPage.SetDefaultTimeout((float)PageWait.TotalMilliseconds);
        await SignInAsync(tenantPage, tenantAdmin);
        await tenantPage.WaitForSelectorAsync("#view[data-view='tenant']");
        await tenantPage.WaitForSelectorAsync("tr[data-queue='payments.charge']");
        await tenantPage.WaitForSelectorAsync("tr[data-breaker]");
        await tenantPage.WaitForSelectorAsync("#audit tbody tr");
        Assert.Equal("Tenant: tenant-monitor (admin)", await tenantPage.TextContentAsync("#view"));
        Assert.Equal(0, await tenantPage.Locator("button[data-action='isolate'], button[data-action='reset']").CountAsync());
        Assert.True(await tenantPage.Locator("#alerts").IsHiddenAsync());
        Assert.True(await tenantPage.Locator("#tile-rate-limiting-box").IsHiddenAsync());
        Assert.Equal(0, await tenantPage.Locator("#audit tr[data-audit-action^='breaker.']").CountAsync());

        Assert.Empty(scriptErrors);
    }

    private async Task SignInAsync(IPage page, ClientCredentials client)
    {
        await page.GotoAsync(new Uri(_gatewayUrl, "monitor").ToString());
        await page.FillAsync("#client-id", client.ClientId);
        await page.FillAsync("#client-secret", client.Secret);
        await page.ClickAsync("#login-form button[type=submit]");
    }

    private static void CollectError(IConsoleMessage message, List<string> errors)
    {
        if (message.Type == "error")
        {
            errors.Add(message.Text);
        }
    }

    private Dictionary<string, string> Environment(Dictionary<string, string> environment)
    {
        environment["ConnectionStrings__Postgres"] = _services.PostgresConnectionString;
        environment["ConnectionStrings__RabbitMq"] = _services.RabbitMqConnectionString;
        environment["Redis__KeyPrefix"] = _services.RedisKeyPrefix;
        environment["Messaging__SigningKeys__0"] = ServicesFixture.MessageSigningKey;
        return environment;
    }

    private async Task<ClientCredentials> AddClientAsync(string tenant, string scopes)
    {
        var info = new global::System.Diagnostics.ProcessStartInfo("dotnet", [RepositoryPaths.Gateway, "clients", "add", "--tenant", tenant, "--scopes", scopes])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(RepositoryPaths.Gateway)!,
        };
        foreach (var (key, value) in Environment(system.GatewayEnvironment()).Where(e => e.Key != "Urls"))
        {
            info.Environment[key] = value;
        }

        using var process = global::System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        using var document = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        return new ClientCredentials(document.RootElement.GetProperty("clientId").GetString()!, document.RootElement.GetProperty("clientSecret").GetString()!);
    }

    private async Task<string> TokenAsync(ClientCredentials client)
    {
        using var response = await _http.PostAsync(new Uri(_gatewayUrl, "api/auth/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.Secret,
        }));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(_gatewayUrl, path)) { Content = content };
        request.Headers.Authorization = new global::System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<string> SubmitAsync(string token, int amount)
    {
        using var request = Request(HttpMethod.Post, "api/commands/payments.charge", token,
            new StringContent($$"""{"amount":{{amount}},"currency":"EUR","customerId":"cus_monitor"}""", Encoding.UTF8, "application/json"));
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task WaitForStatusAsync(string token, string id, string status)
    {
        var deadline = DateTime.UtcNow + PageWait;
        while (DateTime.UtcNow < deadline)
        {
            using var request = Request(HttpMethod.Get, $"api/commands/{id}", token);
            using var response = await _http.SendAsync(request);
            if ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() == status)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Command {id} did not reach {status}.");
    }

    private async Task<IReadOnlyList<string>> PaymentsBreakersAsync(string token)
    {
        var deadline = DateTime.UtcNow + PageWait;
        while (DateTime.UtcNow < deadline)
        {
            using var request = Request(HttpMethod.Get, "api/monitoring/overview", token);
            using var response = await _http.SendAsync(request);
            var names = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("breakers").EnumerateArray()
                .Select(b => b.GetProperty("name").GetString()!).Where(n => n.StartsWith("payments@", StringComparison.Ordinal)).ToList();
            if (names.Count > 0)
            {
                return names;
            }

            await Task.Delay(200);
        }

        Assert.Fail("The workers' payments breakers did not show in the overview.");
        return [];
    }

    private static async Task<long> ReadyAsync(IPage page)
    {
        var text = await page.TextContentAsync("tr[data-queue='payments.charge'] [data-field='ready']") ?? "0";
        return long.Parse(new string(text.Where(char.IsDigit).ToArray()), global::System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task SeedDeadLetterAsync(Guid commandId)
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);
        var store = new DeadLetterStore(dataSource, new OutboxWriter(TimeProvider.System), Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, TimeProvider.System);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var now = DateTimeOffset.UtcNow;
        await store.RecordAsync(transaction, new DeadLetter(commandId, "tenant-monitor", "payments.charge", "{}",
            new Dictionary<string, string>(), 4, now.AddSeconds(-30), now, "ProviderException", "The provider kept failing.", "retries-exhausted"),
            CancellationToken.None);
        await transaction.CommitAsync();
    }

    private async Task WaitForAsync(Uri url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await _http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"{url} did not answer within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new global::System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
