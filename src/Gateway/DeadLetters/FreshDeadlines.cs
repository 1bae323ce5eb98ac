using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Messaging.CommandTypes;
using Messaging.Store.DeadLetters;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.DeadLetters;

/// <summary>
/// The fresh deadline of a redrive, single or bulk (bound with <c>[AsParameters]</c>): the request's <c>deadline</c>
/// when it is in the future and at most <c>DeadLetters:Redrive:MaxDeadlineAhead</c> ahead, else each command type's
/// configured default timeout (<c>Commands:Types:&lt;type&gt;:DefaultTimeout</c>) from when the command is sent again.
/// </summary>
internal readonly record struct FreshDeadlines(IOptions<RedriveOptions> Options, IOptionsMonitor<CommandTypeOptions> TypeOptions, TimeProvider TimeProvider)
{
    /// <summary>The redrive's deadline, or false with the 400 for a requested one that has passed or lies too far ahead.</summary>
    public bool TryGet(DateTimeOffset? requested, out RedriveDeadline deadline, [NotNullWhen(false)] out ProblemHttpResult? invalid)
    {
        var typeOptions = TypeOptions;
        deadline = RedriveDeadline.TypeDefault(type => typeOptions.Get(type).DefaultTimeout);
        invalid = null;
        if (requested is not { } at)
        {
            return true;
        }

        var now = TimeProvider.GetUtcNow();
        var maxAhead = Options.Value.MaxDeadlineAhead;
        if (at <= now || at > now + maxAhead)
        {
            invalid = TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid deadline.",
                detail: string.Create(CultureInfo.InvariantCulture,
                    $"'deadline' must be in the future and at most {maxAhead.TotalDays:0.##} days ahead; nothing was redriven."));
            return false;
        }

        deadline = RedriveDeadline.At(at);
        return true;
    }
}
