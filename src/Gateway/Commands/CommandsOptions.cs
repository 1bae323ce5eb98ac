using System.ComponentModel.DataAnnotations;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>Settings of the commands API (section <c>Commands</c>).</summary>
public sealed class CommandsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Commands";

    /// <summary>The shortest and longest timeout a command type may default to (as <c>Command-Timeout</c> allows).</summary>
    internal static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc cref="MinTimeout"/>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>How long an <c>Idempotency-Key</c> is remembered per tenant (the API promises at least 24 hours).</summary>
    /// <value>The default value is 24 hours.</value>
    [Range(typeof(TimeSpan), "1.00:00:00", "30.00:00:00")]
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Per command type settings, keyed by type name (<c>Commands:Types:payments.charge:DefaultTimeout</c>).
    /// Every type of <see cref="CommandCatalog"/> has an entry; unknown type names fail validation.
    /// </summary>
    /// <value>The defaults are 1 hour for <c>payments.charge</c> and 1 day for <c>notifications.send</c>.</value>
    public Dictionary<string, CommandTypeOptions> Types { get; set; } = new(StringComparer.Ordinal)
    {
        [ChargePayment.TypeName] = new() { DefaultTimeout = TimeSpan.FromHours(1) },
        [SendNotification.TypeName] = new() { DefaultTimeout = TimeSpan.FromDays(1) },
    };

    /// <summary>The deadline used when a request has no <c>Command-Timeout</c> header.</summary>
    internal TimeSpan DefaultTimeoutFor(string typeName) => Types[typeName].DefaultTimeout;
}

/// <summary>Checks what data annotations cannot: the type dictionary against the catalog.</summary>
internal sealed class CommandsOptionsValidator : IValidateOptions<CommandsOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandsOptions options)
    {
        var result = new ValidateOptionsResultBuilder();
        foreach (var (typeName, type) in options.Types)
        {
            var key = $"{CommandsOptions.SectionName}:Types:{typeName}";
            if (!CommandCatalog.TryGet(typeName, out _))
            {
                result.AddError($"'{typeName}' is not a known command type.", key);
            }
            else if (type is null || type.DefaultTimeout < CommandsOptions.MinTimeout || type.DefaultTimeout > CommandsOptions.MaxTimeout)
            {
                result.AddError("DefaultTimeout must be between 00:00:01 and 1.00:00:00.", key + ":DefaultTimeout");
            }
        }

        foreach (var descriptor in CommandCatalog.All)
        {
            if (!options.Types.ContainsKey(descriptor.TypeName))
            {
                result.AddError("Every command type needs settings.", $"{CommandsOptions.SectionName}:Types:{descriptor.TypeName}");
            }
        }

        return result.Build();
    }
}

/// <summary>Settings of one command type (section <c>Commands:Types:&lt;type&gt;</c>).</summary>
public sealed class CommandTypeOptions
{
    /// <summary>The time a command of this type may take when the request gives no <c>Command-Timeout</c>; 1 second to 1 day.</summary>
    /// <value>The default value depends on the type (see <see cref="CommandsOptions.Types"/>).</value>
    public TimeSpan DefaultTimeout { get; set; }
}
