using Messaging.Store.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Messaging.Store.DeadLetters;

/// <summary>Registers the dead-letter store.</summary>
public static class DeadLetterServiceCollectionExtensions
{
    /// <summary>Adds <see cref="DeadLetterStore"/> and <see cref="RedriveOptions"/>. Requires PostgreSQL.</summary>
    public static IHostApplicationBuilder AddDeadLetters(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOutbox();
        builder.Services.AddOptions<RedriveOptions>().BindConfiguration(RedriveOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<DeadLetterStore>();
        return builder;
    }
}
