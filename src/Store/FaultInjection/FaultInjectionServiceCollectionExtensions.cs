using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Messaging.Store.FaultInjection;

/// <summary>Registers <see cref="CrashPoints"/>.</summary>
public static class FaultInjectionServiceCollectionExtensions
{
    /// <summary>The only environment in which a crash point may be configured.</summary>
    public const string TestingEnvironment = "Testing";

    /// <summary>
    /// Adds <see cref="CrashPoints"/> bound to <c>FaultInjection</c>. A configured crash point outside the
    /// <c>Testing</c> environment stops the host at start.
    /// </summary>
    public static IHostApplicationBuilder AddFaultInjection(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var environment = builder.Environment.EnvironmentName;
        builder.Services.AddOptions<FaultInjectionOptions>()
            .Bind(builder.Configuration.GetSection(FaultInjectionOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.CrashAt is null || CrashPoints.All.Contains(o.CrashAt, StringComparer.Ordinal),
                $"FaultInjection:CrashAt must be one of: {string.Join(", ", CrashPoints.All)}.")
            .Validate(o => o.CrashAt is null || string.Equals(environment, TestingEnvironment, StringComparison.Ordinal),
                $"FaultInjection:CrashAt is for the reliability tests only and is refused outside the {TestingEnvironment} environment.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<CrashPoints>();
        return builder;
    }
}
