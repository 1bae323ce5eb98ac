using System.Globalization;
using System.Text.Json;
using Messaging.FakeServices.Crm;
using Messaging.FakeServices.Faults;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Ledger;
using Messaging.FakeServices.Payments;
using Messaging.FakeServices.Providers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.FakeServices.Control;

/// <summary>
/// The control API under <c>/control</c> (on every port): fault injection, the ledger, the request log,
/// the payments token lifetime, and the CRM's recorded requests and authentication mode. Errors are
/// problem+json. See tests/FakeServices/README.md.
/// </summary>
internal static class ControlEndpoints
{
    private const int DefaultRequestLimit = 10_000;

    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder endpoints)
    {
        var control = endpoints.MapGroup("/control").WithTags("Control").DisableAntiforgery();

        control.MapGet("/instances", ListInstances);
        control.MapGet("/instances/{instance}/faults", GetFaults);
        control.MapPut("/instances/{instance}/faults", SetFaultsAsync);
        control.MapDelete("/instances/{instance}/faults", ClearFaults);
        control.MapDelete("/faults", ClearAllFaults);

        control.MapGet("/ledger", GetLedger);
        control.MapDelete("/ledger", ResetLedger);
        control.MapGet("/requests", GetRequests);

        control.MapGet("/payments/token-lifetime", (PaymentsTokenStore tokens) => TypedResults.Ok(new TokenLifetime(tokens.LifetimeSeconds)));
        control.MapPut("/payments/token-lifetime", SetTokenLifetimeAsync);
        control.MapDelete("/payments/tokens", (PaymentsTokenStore tokens) => TypedResults.Ok(new TokensExpired(tokens.ExpireAll())));

        control.MapGet("/crm/requests", (string? idempotencyKey, string? contactId, string? method, CrmBackend crm) =>
            TypedResults.Ok(crm.Recorded(idempotencyKey, contactId, method)));
        control.MapGet("/crm/auth", (CrmAuthenticator auth) => TypedResults.Ok(new CrmAuthView(auth.Mode)));
        control.MapPut("/crm/auth", SetCrmAuthAsync);

        control.MapPost("/reset", Reset);
        return endpoints;
    }

    private static Ok<InstanceView[]> ListInstances(InstanceDirectory instances, FaultRegistry faults) =>
        TypedResults.Ok(instances.All
            .Select(i => new InstanceView(i.Name, i.Provider.ToWireName(), i.Url, i.Port, FaultsView.Of(i.Name, faults.Current(i.Name))))
            .ToArray());

    private static Results<Ok<FaultsView>, ProblemHttpResult> GetFaults(string instance, InstanceDirectory instances, FaultRegistry faults) =>
        instances.TryGet(instance, out var found)
            ? TypedResults.Ok(FaultsView.Of(found.Name, faults.Current(found.Name)))
            : UnknownInstance(instance);

    private static async Task<Results<Ok<FaultsView>, ProblemHttpResult, ValidationProblem>> SetFaultsAsync(
        string instance, HttpRequest request, InstanceDirectory instances, FaultRegistry faults)
    {
        if (!instances.TryGet(instance, out var found))
        {
            return UnknownInstance(instance);
        }

        var (settings, bodyProblem) = await ReadBodyAsync<FaultSettings>(request).ConfigureAwait(false);
        if (settings is null)
        {
            return bodyProblem!;
        }

        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The faults are invalid.");
        }

        return TypedResults.Ok(FaultsView.Of(found.Name, faults.Set(found, settings)));
    }

    private static Results<NoContent, ProblemHttpResult> ClearFaults(string instance, InstanceDirectory instances, FaultRegistry faults)
    {
        if (!instances.TryGet(instance, out var found))
        {
            return UnknownInstance(instance);
        }

        faults.Clear(found.Name);
        return TypedResults.NoContent();
    }

    private static NoContent ClearAllFaults(FaultRegistry faults)
    {
        faults.ClearAll();
        return TypedResults.NoContent();
    }

    private static Results<Ok<LedgerSnapshot>, ValidationProblem> GetLedger(string? provider, ProviderLedger ledger) =>
        ProviderNames.TryParse(provider, out var kind)
            ? TypedResults.Ok(ledger.For(kind).Snapshot())
            : ProviderProblem(provider);

    private static Results<NoContent, ValidationProblem> ResetLedger(string? provider, ProviderLedger ledger, CrmBackend crm)
    {
        ProviderKind? kind = null;
        if (provider is not null)
        {
            if (!ProviderNames.TryParse(provider, out var parsed))
            {
                return ProviderProblem(provider);
            }

            kind = parsed;
        }

        ledger.Reset(kind);
        if (kind is null or ProviderKind.Crm)
        {
            crm.Reset();
        }

        return TypedResults.NoContent();
    }

    private static Results<Ok<RequestLogView>, ValidationProblem> GetRequests(
        string? provider, string? instance, string? path, string? since, long? after, int? limit, ProviderLedger ledger)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!ProviderNames.TryParse(provider, out var kind))
        {
            errors["provider"] = [$"provider must be {ProviderNames.Choices}."];
        }

        DateTimeOffset? sinceAt = null;
        if (since is not null)
        {
            if (DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                sinceAt = parsed;
            }
            else
            {
                errors["since"] = ["since must be an ISO 8601 timestamp, for example 2025-01-31T12:00:00Z."];
            }
        }

        if (limit is < 1 or > 1_000_000)
        {
            errors["limit"] = ["limit must be between 1 and 1000000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The query is invalid.");
        }

        var (entries, truncated) = ledger.For(kind).Requests(new RequestLogQuery(instance, path, sinceAt, after, limit ?? DefaultRequestLimit));
        return TypedResults.Ok(new RequestLogView(kind.ToWireName(), entries, truncated));
    }

    private static async Task<Results<Ok<TokenLifetime>, ValidationProblem>> SetTokenLifetimeAsync(HttpRequest request, PaymentsTokenStore tokens)
    {
        var (lifetime, bodyProblem) = await ReadBodyAsync<TokenLifetime>(request).ConfigureAwait(false);
        if (lifetime is null)
        {
            return bodyProblem!;
        }

        if (lifetime.Seconds is < 1 or > 86_400)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["seconds"] = ["seconds must be between 1 and 86400."] },
                title: "The token lifetime is invalid.");
        }

        tokens.SetLifetime(lifetime.Seconds);
        return TypedResults.Ok(new TokenLifetime(tokens.LifetimeSeconds));
    }

    private static async Task<Results<Ok<CrmAuthView>, ValidationProblem>> SetCrmAuthAsync(HttpRequest request, CrmAuthenticator auth)
    {
        var (view, bodyProblem) = await ReadBodyAsync<CrmAuthView>(request).ConfigureAwait(false);
        if (view is null)
        {
            return bodyProblem!;
        }

        if (view.Mode is not { } mode || !Enum.IsDefined(mode))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["mode"] = ["mode must be Basic, ApiKey, Bearer or None."] },
                title: "The authentication mode is invalid.");
        }

        auth.SetMode(mode);
        return TypedResults.Ok(new CrmAuthView(auth.Mode));
    }

    private static NoContent Reset(FaultRegistry faults, ProviderLedger ledger, PaymentsTokenStore tokens, CrmBackend crm, CrmAuthenticator crmAuth)
    {
        faults.ClearAll();
        ledger.Reset(provider: null);
        crm.Reset();
        tokens.ResetLifetime();
        crmAuth.ResetMode();
        return TypedResults.NoContent();
    }

    private static async Task<(T? Value, ValidationProblem? Problem)> ReadBodyAsync<T>(HttpRequest request)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, ProviderJson.Options, request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (value is not null)
            {
                return (value, null);
            }
        }
        catch (JsonException ex)
        {
            // System.Text.Json messages name the offending member and position; they carry no secrets.
            return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [ex.Message] }, title: "The body is not valid JSON for this request."));
        }

        return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] }, title: "The body is missing."));
    }

    private static ProblemHttpResult UnknownInstance(string instance) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown instance.",
            detail: $"There is no instance named '{instance}'. GET /control/instances lists them.");

    private static ValidationProblem ProviderProblem(string? provider) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { ["provider"] = [provider is null ? $"provider is required: {ProviderNames.Choices}." : $"provider must be {ProviderNames.Choices}."] },
            title: "The query is invalid.");
}
