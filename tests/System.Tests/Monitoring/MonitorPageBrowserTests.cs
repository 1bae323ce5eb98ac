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
/// page and watches it go; isolating a breaker asks first (Cancel changes nothing, Isolate isolates); a dead letter opens
/// whole (reason, attempts, body, the safe headers only) and is redriven from its detail; a command is found by id; then
/// a tenant admin signs in and sees its tenant only. Saves a screenshot under load to artifacts/monitor.png (the tracked
/// docs/monitor.png is refreshed by hand, never by a test run).
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
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `scripts/services tools` (scripts/test does).");
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

        // Isolate asks first: Cancel (or Escape) leaves the breaker closed (no request, no audit record); Isolate isolates it.
        var target = breakers[0];
        var isolateButton = $"tr[data-breaker='{target}'] button[data-action='isolate']";
        var isolations = await AuditCountAsync(adminToken, "breaker.isolate", target); // the isolation above, by the API
        await page.ClickAsync(isolateButton);
        await page.WaitForSelectorAsync("dialog#confirm[open]");
        Assert.Contains(target, await page.TextContentAsync("#confirm-title") ?? "", StringComparison.Ordinal);
        await page.ClickAsync("dialog#confirm button[value='cancel']");
        await page.WaitForSelectorAsync("dialog#confirm", new PageWaitForSelectorOptions { State = WaitForSelectorState.Hidden });
        await page.WaitForTimeoutAsync(2500); // a poll or more: had anything been sent, the page and the fleet would show it
        Assert.Equal("closed", await page.TextContentAsync($"tr[data-breaker='{target}'] [data-field='state']"));
        Assert.Equal("closed", await BreakerStateAsync(adminToken, target));
        Assert.Equal(isolations, await AuditCountAsync(adminToken, "breaker.isolate", target));
        await page.ClickAsync(isolateButton);
        await page.WaitForSelectorAsync("dialog#confirm[open]");
        await page.Keyboard.PressAsync("Escape");
        await page.WaitForSelectorAsync("dialog#confirm", new PageWaitForSelectorOptions { State = WaitForSelectorState.Hidden });
        Assert.Equal("closed", await BreakerStateAsync(adminToken, target));
        Assert.Equal(isolations, await AuditCountAsync(adminToken, "breaker.isolate", target));
        await page.ClickAsync(isolateButton);
        await page.ClickAsync("dialog#confirm button[value='confirm']");
        await page.WaitForSelectorAsync($"tr[data-breaker='{target}'] [data-field='state']:text-is('isolated')");
        Assert.Equal("isolated", await BreakerStateAsync(adminToken, target));
        Assert.Equal(isolations + 1, await AuditCountAsync(adminToken, "breaker.isolate", target));
        await page.ClickAsync($"tr[data-breaker='{target}'] button[data-action='reset']");
        await page.WaitForSelectorAsync($"tr[data-breaker='{target}'] [data-field='state']:text-is('closed')");
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

        // Two dead letters (recorded as the workers' dead-letter path records one) show by type and in the latest list.
        await SeedDeadLetterAsync(Guid.Parse(submitted[0]));
        await SeedDeadLetterAsync(Guid.Parse(submitted[1]));
        await page.WaitForSelectorAsync("tr[data-dead-letter-type='payments.charge'] [data-field='count']:text-is('2')");

        // One opens whole: reason, attempts, body and the safe headers; the signature and the fault text stay out.
        await page.ClickAsync($"#dead-letter-list tr[data-command-id='{submitted[1]}'] button[data-action='details']");
        await page.WaitForSelectorAsync("#dead-letter-detail:not([hidden])");
        Assert.Equal("The provider kept failing.", await page.TextContentAsync("#dead-letter-detail [data-field='reason']"));
        Assert.Equal("4", await page.TextContentAsync("#dead-letter-detail [data-field='attempts']"));
        Assert.Contains("cus_monitor", await page.TextContentAsync("#dead-letter-body") ?? "", StringComparison.Ordinal);
        Assert.Equal("payments.charge", await page.TextContentAsync("#dead-letter-headers tr[data-header='Messaging-Command-Type'] td:nth-child(2)"));
        Assert.Equal(0, await page.Locator("#dead-letter-headers tr[data-header='Messaging-Signature'], #dead-letter-headers tr[data-header='MT-Fault-Message']").CountAsync());
        Assert.DoesNotContain("SECRET", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Contains("2 more not shown", await page.TextContentAsync("#dead-letter-hidden-headers") ?? "", StringComparison.Ordinal);
        await page.WaitForTimeoutAsync(1500); // let the sparkline and rates show the backlog for the screenshot
        var screenshot = Path.Combine(RepositoryPaths.Root, "artifacts", "monitor.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

        // Its Redrive sends back that command only; the other stays.
        await page.ClickAsync("#dead-letter-redrive");
        await page.WaitForSelectorAsync("tr[data-dead-letter-type='payments.charge'] [data-field='count']:text-is('1')");
        Assert.Contains($"Command {submitted[1]}: sent back", await page.TextContentAsync("#notice") ?? "", StringComparison.Ordinal);
        await page.WaitForSelectorAsync("#dead-letter-detail [data-field='redriven']:not(:text-is('no'))");
        Assert.True(await page.Locator("#dead-letter-redrive").IsDisabledAsync());

        // The command search shows the redriven command's status document; an unknown id says so.
        await page.FillAsync("#command-id", submitted[1]);
        await page.ClickAsync("#command-search button[type=submit]");
        await page.WaitForSelectorAsync($"#command-result[data-command-id='{submitted[1]}']:not([hidden])");
        Assert.Equal("tenant-monitor", await page.TextContentAsync("#command-result [data-field='tenant']"));
        var status = await page.TextContentAsync("#command-result [data-field='status']");
        Assert.True(status is "Accepted" or "Dispatched", $"the redriven command is {status}");
        Assert.Contains($"\"id\": \"{submitted[1]}\"", await page.TextContentAsync("#command-document") ?? "", StringComparison.Ordinal);
        await page.FillAsync("#command-id", Guid.NewGuid().ToString());
        await page.ClickAsync("#command-search button[type=submit]");
        await page.WaitForSelectorAsync("#command-error:text-is('No command has this id.')");
        Assert.True(await page.Locator("#command-result").IsHiddenAsync());

        // The by-type Redrive sends the rest back.
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
        // The command search's lookup of an unknown id is answered 404 on purpose, and the browser logs every 4xx
        // response as an error: that one is an answer, not a script error.
        if (message.Type == "error"
            && !(message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal) && message.Location.Contains("/api/monitoring/commands/", StringComparison.Ordinal)))
        {
            errors.Add($"{message.Text} ({message.Location})");
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

    private async Task<string> BreakerStateAsync(string token, string name)
    {
        using var request = Request(HttpMethod.Get, "api/monitoring/overview", token);
        using var response = await _http.SendAsync(request);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("breakers").EnumerateArray()
            .Single(b => b.GetProperty("name").GetString() == name).GetProperty("state").GetString()!;
    }

    private async Task<int> AuditCountAsync(string token, string action, string target)
    {
        using var request = Request(HttpMethod.Get, "api/monitoring/audit?limit=500", token);
        using var response = await _http.SendAsync(request);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Count(r => r.GetProperty("action").GetString() == action && r.GetProperty("target").GetString() == target);
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
        var body = $$"""{"commandId":"{{commandId}}","tenant":"tenant-monitor","amount":3,"currency":"EUR","customerId":"cus_monitor"}""";
        var headers = new Dictionary<string, string>
        {
            ["Messaging-Tenant"] = "tenant-monitor",
            ["Messaging-Command-Type"] = "payments.charge",
            ["Messaging-Attempt"] = "4",
            ["Messaging-Signature"] = "SECRET-signature",
            ["MT-Fault-Message"] = "SECRET fault text",
        };
        await store.RecordAsync(transaction, new DeadLetter(commandId, "tenant-monitor", "payments.charge", body, headers, 4, now.AddSeconds(-30), now,
            "ProviderException", "The provider kept failing.", "retries-exhausted"), CancellationToken.None);
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
