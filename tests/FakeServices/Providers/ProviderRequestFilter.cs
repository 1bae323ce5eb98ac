using Messaging.FakeServices.Faults;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Ledger;

namespace Messaging.FakeServices.Providers;

/// <summary>
/// Runs around every provider route: finds the instance from the connection's port, applies that
/// instance's faults, and records the request in the provider's ledger.
/// Order: latency, then connection reset, outage (503), too-many-requests (429 with Retry-After) and
/// error rate (503) before the handler; with <see cref="FaultSettings.FailAfterEffect"/> the reset,
/// outage or error-rate failure comes after the handler instead (429 always comes first). The status and
/// fault it logs are also left on the <see cref="ProviderCall"/> for filters that run around it.
/// </summary>
internal sealed partial class ProviderRequestFilter(ProviderKind provider, bool tokenEndpoint) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var instances = services.GetRequiredService<InstanceDirectory>();
        var logger = services.GetRequiredService<ILogger<ProviderRequestFilter>>();
        if (!instances.TryResolve(http, out var instance))
        {
            Log.NoInstance(logger, http.Connection.LocalPort);
            return ProviderResults.Error(StatusCodes.Status404NotFound, "unknown_instance", "No provider instance is configured for this port.");
        }

        var time = services.GetRequiredService<TimeProvider>();
        var book = services.GetRequiredService<ProviderLedger>().For(instance.Provider);
        var receivedAt = time.GetUtcNow();
        var key = tokenEndpoint ? null : ProviderHeaders.ValidIdempotencyKey(http.Request);
        if (key is not null && instance.Provider == provider)
        {
            book.NoteKey(key);
        }

        var call = new ProviderCall(instance, key);
        http.Features.Set(call);

        var faults = services.GetRequiredService<FaultRegistry>().Current(instance.Name)?.Settings;
        if (faults is { IncludeTokenEndpoint: false } && tokenEndpoint)
        {
            faults = null;
        }

        var latency = faults?.LatencyMs ?? 0;
        string? fault = null;
        var afterEffect = false;
        IResult result;
        try
        {
            if (latency > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(latency), time, http.RequestAborted).ConfigureAwait(false);
            }

            if (instance.Provider != provider)
            {
                result = ProviderResults.Error(StatusCodes.Status404NotFound, "not_found",
                    $"Instance '{instance.Name}' serves the {instance.Provider.ToWireName()} provider, not {provider.ToWireName()}.");
            }
            else if (faults is not null && Before(faults, http, out fault) is { } early)
            {
                result = early;
            }
            else
            {
                result = await next(context).ConfigureAwait(false) as IResult ?? Results.Empty;
                if (faults is { FailAfterEffect: true } && After(faults, http, out fault) is { } late)
                {
                    result = late;
                    afterEffect = true;
                }
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            (call.Status, call.Fault, call.FaultAfterEffect) = (StatusCodes.Status499ClientClosedRequest, fault, afterEffect);
            book.Record(instance.Name, http.Request.Method, http.Request.Path, key, StatusCodes.Status499ClientClosedRequest, fault, afterEffect,
                call.Replayed, tokenEndpoint, latency, receivedAt, time.GetUtcNow());
            return Results.Empty;
        }

        var status = fault == Reset ? 0 : (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
        (call.Status, call.Fault, call.FaultAfterEffect) = (status, fault, afterEffect);
        book.Record(instance.Name, http.Request.Method, http.Request.Path, key, status, fault, afterEffect, call.Replayed, tokenEndpoint, latency,
            receivedAt, time.GetUtcNow());
        if (fault is not null)
        {
            Log.FaultApplied(logger, fault, instance.Name, http.Request.Path, afterEffect);
        }

        // Recorded first, then aborted: a caller that sees the reset finds the attempt in the request log.
        if (fault == Reset)
        {
            http.Abort();
        }

        return result;
    }

    private const string Reset = "reset";

    private static IResult? Before(FaultSettings faults, HttpContext http, out string? fault)
    {
        if (!faults.FailAfterEffect && Failure(faults, http, out fault) is { } failure)
        {
            return failure;
        }

        if (faults.TooManyRequests)
        {
            fault = "too-many-requests";
            http.Response.Headers.RetryAfter = faults.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProviderResults.Error(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests.");
        }

        fault = null;
        return null;
    }

    private static IResult? After(FaultSettings faults, HttpContext http, out string? fault)
    {
        if (Failure(faults, http, out fault) is { } failure)
        {
            return failure;
        }

        // failAfterEffect alone (no outage, error rate or reset): the answer is lost as a 503.
        if (!faults.Outage && !faults.ResetConnections && faults.ErrorRate == 0)
        {
            fault = "outage";
            return ProviderResults.Unavailable();
        }

        return null;
    }

    private static IResult? Failure(FaultSettings faults, HttpContext http, out string? fault)
    {
        if (faults.ResetConnections)
        {
            fault = Reset; // the connection is aborted once the attempt is recorded (see InvokeAsync)
            return Results.Empty;
        }

        if (faults.Outage)
        {
            fault = "outage";
            return ProviderResults.Unavailable();
        }

        if (faults.ErrorRate > 0 && Random.Shared.NextDouble() < faults.ErrorRate)
        {
            fault = "error";
            return ProviderResults.Unavailable();
        }

        fault = null;
        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, EventName = "NoInstanceForPort", Level = LogLevel.Warning, Message = "No provider instance is configured for local port {Port}")]
        public static partial void NoInstance(ILogger logger, int port);

        [LoggerMessage(EventId = 301, EventName = "FaultApplied", Level = LogLevel.Debug, Message = "Fault {Fault} applied on {Instance} to {Path} (after effect: {AfterEffect})")]
        public static partial void FaultApplied(ILogger logger, string fault, string instance, string path, bool afterEffect);
    }
}
