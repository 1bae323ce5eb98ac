using Messaging.Contracts.Callbacks;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes.Callbacks;

/// <summary>The built-in <c>callbacks.deliver</c> command type: one completion event of a command, posted, signed, to its callback URL.</summary>
public static class CallbacksCommandType
{
    /// <summary>The provider's name in errors, logs, pipelines and configuration (<c>Resilience:Dependencies:callbacks</c>).</summary>
    public const string ProviderName = "callbacks";

    /// <summary>
    /// Registers <c>callbacks.deliver</c> (<see cref="DeliverCallback"/>) so that every host knows it and the command
    /// topology declares its exchange and queue at start, before the ledger queues anything to it. It has no request:
    /// the gateway does not accept it over HTTP (only the ledger writes its rows) and leaves its rows out of
    /// <c>GET /api/commands</c> unless asked for by <c>type</c>. Its deadline is set per row by the ledger, so the
    /// default timeout here (the largest allowed) applies to nothing.
    /// </summary>
    /// <remarks>
    /// No handler here: delivering needs the store (the clients' signing secrets), which the command types do not know. The
    /// workers add it to this registration (<c>builder.CommandType&lt;DeliverCallback&gt;().ExecutedBy&lt;…&gt;()</c>), so the
    /// gateway knows the type without being able to run it.
    /// </remarks>
    public static IHostApplicationBuilder AddCallbacksCommandType(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddCommandType<DeliverCallback>(CallbackEventTypes.DeliveryTypeName)
            .WithDefaultTimeout(TimeSpan.FromDays(1))
            .UsesProvider(ProviderName);
        return builder;
    }
}
