using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;

namespace Messaging.Workers.Execution;

/// <summary>
/// One delivery of a command message as execution sees it: the message, its type, its profile (tenant,
/// deadline, attempt), the command as JSON (what the outbox carries) and the transport headers, kept so
/// the command can be scheduled again or dead-lettered whole.
/// </summary>
internal sealed class CommandDelivery
{
    /// <summary>Command bodies as the gateway writes them to the outbox: camelCase, nulls left out.</summary>
    public static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly CommandScheduler _scheduler;

    private CommandDelivery(ICommandMessage message, CommandDescriptor descriptor, ExecutionProfile profile, string body,
        IReadOnlyDictionary<string, string> headers, CommandScheduler scheduler)
    {
        Message = message;
        Descriptor = descriptor;
        Profile = profile;
        Body = body;
        Headers = headers;
        _scheduler = scheduler;
    }

    /// <summary>The command message.</summary>
    public ICommandMessage Message { get; }

    /// <summary>Its type: name, message type and queue.</summary>
    public CommandDescriptor Descriptor { get; }

    /// <summary>What the endpoint's filter read from the headers, with the deadline narrowed by the stored one.</summary>
    public ExecutionProfile Profile { get; set; }

    /// <summary>The stored command's deadline, once the inbox step has read it.</summary>
    public DateTimeOffset? StoredDeadline { get; set; }

    /// <summary>The command id.</summary>
    public Guid CommandId => Message.CommandId;

    /// <summary>The attempt this delivery is (1 for the first).</summary>
    public int Attempt => Profile.Attempt;

    /// <summary>The command serialized as the outbox carries it.</summary>
    public string Body { get; }

    /// <summary>The message headers as text.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>
    /// Puts the command back through the outbox as the same attempt, due at <paramref name="notBefore"/>,
    /// with status <c>Scheduled</c>, <em>without counting an attempt</em>: for waits that are not the
    /// command's fault (an open breaker, a rate limit). Return after calling it: the message is acknowledged.
    /// </summary>
    /// <param name="reason">A short, safe reason shown with the command (for example <c>rate limit of the payments provider</c>).</param>
    /// <param name="notBefore">When the command is due again. Past the deadline, the command expires instead.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task<ScheduleOutcome> DeferAsync(string reason, DateTimeOffset notBefore, CancellationToken cancellationToken = default) =>
        _scheduler.DeferAsync(this, reason, notBefore, cancellationToken);

    /// <summary>As <see cref="DeferAsync(string, DateTimeOffset, CancellationToken)"/>, with the error code shown on the command (for example <c>rate_limited</c>).</summary>
    public Task<ScheduleOutcome> DeferAsync(CommandStatusError reason, DateTimeOffset notBefore, CancellationToken cancellationToken = default) =>
        _scheduler.DeferAsync(this, reason, notBefore, cancellationToken);

    public static CommandDelivery From<TMessage>(ConsumeContext<TMessage> context, CommandDescriptor descriptor, ExecutionProfile profile,
        CommandScheduler scheduler)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(context);
        var message = context.Message;
        var body = JsonSerializer.Serialize(message, message.GetType(), BodyJson);
        return new CommandDelivery(message, descriptor, profile, body, HeaderText(context.Headers), scheduler);
    }

    /// <summary>Header values as text: strings as they are, instants in ISO 8601, numbers invariant.</summary>
    public static Dictionary<string, string> HeaderText(Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers.GetAll())
        {
            if (value is null)
            {
                continue;
            }

            text[name] = value switch
            {
                string s => s,
                DateTimeOffset instant => instant.ToString("O", CultureInfo.InvariantCulture),
                DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
        }

        return text;
    }
}
