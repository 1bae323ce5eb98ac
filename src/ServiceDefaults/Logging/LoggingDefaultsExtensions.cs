using Messaging.ServiceDefaults.Logging;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>Keeps secrets out of logs.</summary>
public static class LoggingDefaultsExtensions
{
    /// <summary>
    /// Registers redactors for our <see cref="DataClassifications"/> taxonomy (an erasing redactor for
    /// <see cref="DataClassifications.Secret"/> and <see cref="DataClassifications.Personal"/>, and erasing as
    /// the fallback for any other classification) and enables redaction in logging, so a
    /// <c>[LoggerMessage]</c> parameter annotated <c>[Secret]</c> or <c>[Personal]</c> reaches no logging
    /// provider (console, OpenTelemetry) in clear. Log enrichment is enabled too, so registered
    /// <c>ILogEnricher</c>s apply.
    /// </summary>
    public static TBuilder AddLogRedaction<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddRedaction(redaction =>
        {
            redaction.SetRedactor<ErasingRedactor>(
                new DataClassificationSet(DataClassifications.Secret),
                new DataClassificationSet(DataClassifications.Personal));
            redaction.SetFallbackRedactor<ErasingRedactor>();
        });
        builder.Logging.EnableRedaction();
        // Lets hosts add ILogEnricher implementations (tenant, command id) without touching this wiring.
        builder.Logging.EnableEnrichment();
        return builder;
    }

    /// <summary>
    /// Defaults for every <c>IHttpClientFactory</c> client: the factory's request logging writes header
    /// names only (every header value, Authorization included, is redacted).
    /// </summary>
    public static TBuilder AddHttpClientDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.ConfigureHttpClientDefaults(http => http.RedactLoggedHeaders(static _ => true));
        return builder;
    }
}
