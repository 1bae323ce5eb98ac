using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Events;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.CommandTypes.Payments;

/// <summary>The <c>payments.charge</c> command type and the <c>payments</c> provider it calls.</summary>
public static class PaymentsCommandType
{
    /// <summary>The provider's name in errors, logs, pipelines, breakers and configuration.</summary>
    public const string ProviderName = "payments";

    /// <summary>
    /// Registers <c>payments.charge</c> (default deadline 1 hour; a dead letter publishes <c>PaymentFailed</c>)
    /// and the payments provider: endpoints under <c>ExternalServices:Payments:Endpoints</c>, OAuth2 client
    /// credentials (<c>TokenUrl</c>, <c>ClientId</c>, <c>ClientSecret</c>, <c>Scope</c>), and no immediate retry of the
    /// same endpoint (failover is the retry).
    /// </summary>
    public static IHostApplicationBuilder AddPaymentsCommandType(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddCommandType<ChargePayment>(ChargePayment.TypeName)
            .WithRequest<ChargePaymentRequest>()
            .WithDefaultTimeout(TimeSpan.FromHours(1))
            .UsesProvider(ProviderName)
            .ExecutedBy<ChargePaymentHandler>()
            .WithFallback<ChargePaymentFallback>()
            .Publishes<PaymentFailed>();

        builder.AddCommandProvider(ProviderName)
            .WithConfigurationSection(PaymentsOptions.SectionName)
            .WithPipelineDefaults(PipelineDefaults)
            .ConfigureServices(workers => workers.Services.AddOptions<PaymentsOptions>()
                .Bind(workers.Configuration.GetSection(PaymentsOptions.SectionName))
                .ValidateDataAnnotations()
                .Validate(o => string.IsNullOrEmpty(o.TokenUrl) || ProviderHttp.IsHttpUrl(o.TokenUrl),
                    "ExternalServices:Payments:TokenUrl must be an absolute http(s) URL.")
                .ValidateOnStart())
            .WithClientCredentials(services => Credentials(services.GetRequiredService<IOptionsMonitor<PaymentsOptions>>().CurrentValue));
        return builder;
    }

    /// <summary>
    /// One pipeline per endpoint with no immediate retries of its own. Moving to the next endpoint is the
    /// retry (Idempotency-Key makes it safe); a retry of the same endpoint would multiply with the endpoint
    /// count. Set <c>Resilience:Dependencies:payments:Retry:MaxRetryAttempts</c> to retry each endpoint as well.
    /// </summary>
    internal static void PipelineDefaults(DependencyPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AttemptTimeout = TimeSpan.FromSeconds(5);
        options.TotalTimeout = TimeSpan.FromSeconds(20);
        options.Retry.MaxRetryAttempts = 0;
        options.Breaker.MinimumThroughput = 10;
        options.Breaker.FailureRatio = 0.5;
        options.Breaker.SamplingDuration = TimeSpan.FromSeconds(30);
        options.Breaker.BreakDuration = TimeSpan.FromSeconds(15);
        options.Breaker.SlowCallThreshold = TimeSpan.FromSeconds(3);
    }

    private static ClientCredentials Credentials(PaymentsOptions options) =>
        new(ProviderName, new Uri(options.TokenUrl, UriKind.Absolute), options.ClientId, options.ClientSecret, options.Scope);
}
