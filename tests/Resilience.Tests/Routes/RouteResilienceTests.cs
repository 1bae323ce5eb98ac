using System.Net;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Routes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Resilience.Tests.Routes;

public sealed class RouteResilienceTests : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private int _handlerCalls;

    private async Task StartAsync(Dictionary<string, string?> settings, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddProblemDetails();
        builder.AddRouteResilience("test");
        _app = builder.Build();
        _app.UseRequestTimeouts();
        map(_app);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http.BaseAddress = new Uri(address);
    }

    [Fact]
    public async Task Route_AfterRepeated5xx_Answers503WithRetryAfter_WithoutRunningTheHandler()
    {
        await StartAsync(new()
        {
            ["Resilience:Routes:test:MinimumThroughput"] = "4",
            ["Resilience:Routes:test:FailureRatio"] = "0.5",
            ["Resilience:Routes:test:BreakDuration"] = "00:00:30",
        }, app => app.MapGet("/fail", () => { Interlocked.Increment(ref _handlerCalls); return Results.Problem(statusCode: 500); }).WithResilience("test"));

        for (var i = 0; i < 4; i++)
        {
            using var failing = await _http.GetAsync("/fail", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
        }

        using var rejected = await _http.GetAsync("/fail", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.StatusCode);
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.True(rejected.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(4, _handlerCalls);
        Assert.Equal(BreakerState.Open, _app!.Services.GetRequiredService<BreakerRegistry>().GetState("route:test"));
    }

    [Fact]
    public async Task Route_WhenTheBulkheadIsFull_RefusesAtOnceWith503()
    {
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        await StartAsync(new()
        {
            ["Resilience:Routes:test:ConcurrencyLimit"] = "1",
            ["Resilience:Routes:test:QueueLimit"] = "0",
        }, app => app.MapGet("/slow", async () => { entered.TrySetResult(); await release.Task; return Results.Ok(); }).WithResilience("test"));

        var first = _http.GetAsync("/slow", TestContext.Current.CancellationToken);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        using var second = await _http.GetAsync("/slow", TestContext.Current.CancellationToken);
        release.SetResult();
        using var firstResponse = await first;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
    }

    [Fact]
    public async Task Route_ThatRunsPastItsTimeout_Answers503_AndItsWorkIsCancelled()
    {
        var cancelled = new TaskCompletionSource<bool>();
        await StartAsync(new()
        {
            ["Resilience:Routes:test:RequestTimeout"] = "00:00:00.200",
        }, app => app.MapGet("/hang", async (HttpContext context) =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult(true);
                throw;
            }

            return Results.Ok();
        }).WithResilience("test"));

        using var response = await _http.GetAsync("/hang", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
