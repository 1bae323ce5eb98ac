using System.Text.Json;
using Messaging.Contracts.Commands;

namespace Messaging.Contracts.Callbacks;

/// <summary>
/// The message of the built-in type <c>callbacks.deliver</c> (<see cref="CallbackEventTypes.DeliveryTypeName"/>): one completion
/// event of one command, to be posted, signed, to its callback URL. Written by the command ledger in the same statement as the
/// terminal status it reports, so each transition has its own delivery, and its own <see cref="CommandId"/>, which is the
/// event's <c>webhook-id</c>. A delivery is never itself called back.
/// </summary>
public sealed record DeliverCallback : ICommandMessage
{
    /// <summary>The delivery's own id: the <c>webhook-id</c> (<c>msg_</c> and this id) and the key of its row.</summary>
    public required Guid CommandId { get; init; }

    /// <inheritdoc />
    public required string Tenant { get; init; }

    /// <summary>The subject's client: its callback signing secrets sign the event.</summary>
    public required string ClientId { get; init; }

    /// <summary>The command whose end this event reports.</summary>
    public required Guid SubjectCommandId { get; init; }

    /// <summary>Where to post it: the subject's callback URL, as stored at its acceptance.</summary>
    public required string Url { get; init; }

    /// <summary>The event's <c>type</c>, one of <see cref="CallbackEventTypes"/>.</summary>
    public required string EventType { get; init; }

    /// <summary>When the subject reached the status reported.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The event's <c>data</c>: the subject's status document at that transition.</summary>
    public required JsonElement Data { get; init; }
}
