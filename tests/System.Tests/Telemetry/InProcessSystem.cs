extern alias gateway;
extern alias workers;

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Testing;
using Messaging.Testing.Harness;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;
using GatewayProgram = gateway::Program;
using WorkersProgram = workers::Program;

namespace Messaging.System.Tests.Telemetry;

/// <summary>
/// Gateway and Workers hosted in this process (WebApplicationFactory) on a fresh database and virtual host of their own,
/// calling the system fixture's FakeServices, with OpenTelemetry's in-memory exporters added to both: every span and log
/// record either host exports lands in <see cref="Spans"/> and <see cref="Logs"/>. Both hosts' tracer providers see every
/// activity of the process, so spans arrive twice: <see cref="Trace"/> deduplicates them by span id.
/// </summary>
internal sealed class InProcessSystem : ServicesFixture
{
    private readonly SystemFixture _system;
    private WebApplicationFactory<GatewayProgram>? _gateway;
    private WebApplicationFactory<WorkersProgram>? _workers;

    public InProcessSystem(SystemFixture system) => _system = system;

    public List<Activity> Spans { get; } = [];

    public List<LogRecord> Logs { get; } = [];

    public IServiceProvider GatewayServices => _gateway!.Services;

    public IServiceProvider WorkersServices => _workers!.Services;

    public HttpClient Gateway { get; private set; } = null!;

    public HttpClient Workers { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var common = HostConfiguration();
        common["Logging:LogLevel:Default"] = "Information";

        var gateway = new Dictionary<string, string?>(common)
        {
            ["Auth:SigningKeys:0"] = SystemFixture.SigningKey,
            ["Auth:SecretPeppers:system"] = SystemFixture.SecretPepper,
            ["Outbox:Relay:PollInterval"] = "00:00:00.250",
        };
        _gateway = new WebApplicationFactory<GatewayProgram>().WithWebHostBuilder(web => Configure(web, gateway));
        Gateway = _gateway.CreateClient();

        var workers = new Dictionary<string, string?>(common);
        foreach (var (key, value) in _system.WorkersEnvironment().Where(e => e.Key.StartsWith("ExternalServices__", StringComparison.Ordinal)))
        {
            workers[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        _workers = new WebApplicationFactory<WorkersProgram>().WithWebHostBuilder(web => Configure(web, workers));
        Workers = _workers.CreateClient();
    }

    /// <summary>The distinct spans of one trace.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId traceId)
    {
        lock (Spans)
        {
            return Spans.Where(s => s.TraceId == traceId).GroupBy(s => s.SpanId).Select(g => g.First()).ToList();
        }
    }

    /// <summary>A bearer token of a new client of <paramref name="tenant"/>, created with the gateway's CLI on this database.</summary>
    public async Task<string> TokenAsync(string tenant, string scopes)
    {
        var info = new ProcessStartInfo("dotnet", [RepositoryPaths.Gateway, "clients", "add", "--tenant", tenant, "--scopes", scopes])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(RepositoryPaths.Gateway)!,
        };
        info.Environment["ConnectionStrings__Postgres"] = PostgresConnectionString;
        info.Environment["ConnectionStrings__RabbitMq"] = RabbitMqConnectionString;
        info.Environment["ConnectionStrings__Redis"] = RedisConnectionString;
        info.Environment["Auth__SigningKeys__0"] = SystemFixture.SigningKey;
        info.Environment["Auth__SecretPeppers__system"] = SystemFixture.SecretPepper;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        using var client = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        using var response = await Gateway.PostAsync(new Uri("/api/auth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.RootElement.GetProperty("clientId").GetString()!,
            ["client_secret"] = client.RootElement.GetProperty("clientSecret").GetString()!,
        }));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public override async ValueTask DisposeAsync()
    {
        Gateway?.Dispose();
        Workers?.Dispose();
        if (_workers is not null)
        {
            await _workers.DisposeAsync();
        }

        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private void Configure(IWebHostBuilder web, IDictionary<string, string?> configuration)
    {
        web.UseEnvironment("Testing");
        foreach (var (key, value) in configuration)
        {
            web.UseSetting(key, value);
        }

        web.ConfigureServices(services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(new LockedList<Activity>(Spans)));
            services.AddLogging(logging => logging.AddOpenTelemetry(otel => otel.AddInMemoryExporter(new LockedList<LogRecord>(Logs))));
        });
    }

    // The exporters of both hosts append from many threads; the test reads under the same lock.
    private sealed class LockedList<T>(List<T> inner) : ICollection<T>
    {
        public int Count
        {
            get
            {
                lock (inner)
                {
                    return inner.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (inner)
            {
                inner.Add(item);
            }
        }

        public void Clear()
        {
            lock (inner)
            {
                inner.Clear();
            }
        }

        public bool Contains(T item)
        {
            lock (inner)
            {
                return inner.Contains(item);
            }
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (inner)
            {
                inner.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(T item)
        {
            lock (inner)
            {
                return inner.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator()
        {
            lock (inner)
            {
                return inner.ToList().GetEnumerator();
            }
        }

        global::System.Collections.IEnumerator global::System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
