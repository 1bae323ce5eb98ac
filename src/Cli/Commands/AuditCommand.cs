using System.CommandLine;
using System.Globalization;
using Messaging.Cli.Output;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// <c>msg audit [--tenant T] [--limit N] [--before ID]</c>: audited actions, newest first (<c>GET /api/monitoring/audit</c>;
/// scope operator: every record; scope admin: those that touched the token's own tenant).
/// </summary>
internal static class AuditCommand
{
    /// <summary>The gateway's page size when none is asked for, and its largest.</summary>
    private const int DefaultLimit = 100;
    private const int MaxLimit = 500;

    public static Command Create(CliConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "Only the records that touched this tenant (an operator's choice; a tenant admin may only name its own)" };
        var limit = new Option<int?>("--limit", "-n") { Description = $"How many (1-{MaxLimit}; default {DefaultLimit})" };
        var before = new Option<long?>("--before") { Description = "Only records older than this id (the last id of the previous page)" };
        var command = new Command("audit",
            "Audited actions, newest first: breaker isolate/reset, client add/revoke, redrives (scope operator: all; admin: your tenant's)")
        {
            tenant, limit, before,
        };
        command.SetAction(CommandActions.Action(console, async (parse, client, cancellationToken) =>
        {
            var asked = parse.GetValue(limit);
            if (asked is < 1 or > MaxLimit)
            {
                throw new CliException($"--limit must be 1 to {MaxLimit.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
            }

            var records = await client.GetAuditAsync(new AuditQuery { Tenant = parse.GetValue(tenant), Before = parse.GetValue(before), Limit = asked }, cancellationToken)
                .ConfigureAwait(false);
            JsonOutput.Print(parse, console.Out, records, WriteRecords);
            if (!parse.GetValue(JsonOutput.Option) && records.Count == (asked ?? DefaultLimit))
            {
                // A full page: there may be older records.
                await console.Out.WriteLineAsync($"more: msg audit --before {records[^1].Id.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    public static void WriteRecords(TextWriter output, IReadOnlyList<AuditRecordInfo> records)
    {
        if (records.Count == 0)
        {
            output.WriteLine("no audit records");
            return;
        }

        var table = new Table("ID", "AT", "ACTOR", "ACTION", "TARGET", "TENANT", "OUTCOME");
        foreach (var record in records)
        {
            table.Add(record.Id.ToString(CultureInfo.InvariantCulture), Cells.Time(record.At),
                record.ActorTenant is null ? record.ActorClient : $"{record.ActorClient} ({record.ActorTenant})",
                record.Action, record.Target, record.Tenant ?? "(fleet)", record.Outcome);
        }

        table.WriteTo(output);
    }
}
