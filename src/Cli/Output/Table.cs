using System.Globalization;
using System.Text;

namespace Messaging.Cli.Output;

/// <summary>A plain text table: a header row, aligned columns separated by two spaces, no borders.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public int Count => _rows.Count;

    public Table Add(params string?[] cells)
    {
        _rows.Add([.. cells.Select(c => c ?? "-")]);
        return this;
    }

    public void WriteTo(TextWriter writer)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        WriteRow(writer, headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(writer, row, widths);
        }
    }

    private static void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Length ? cells[i] : "";
            line.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }
}

/// <summary>How values look in tables.</summary>
internal static class Cells
{
    public static string Time(DateTimeOffset? value) =>
        value is { } time ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    public static string Rate(double? value) => value?.ToString("0.##", CultureInfo.InvariantCulture) ?? "-";

    public static string Seconds(double? value) => value is { } seconds ? seconds.ToString("0.#", CultureInfo.InvariantCulture) + " s" : "-";

    /// <summary><c>1d</c>, <c>6h</c>, <c>1h 30m</c>, <c>45s</c>.</summary>
    public static string Duration(TimeSpan? value)
    {
        if (value is not { } duration)
        {
            return "-";
        }

        var parts = new List<string>();
        AddPart(parts, duration.Days, "d");
        AddPart(parts, duration.Hours, "h");
        AddPart(parts, duration.Minutes, "m");
        AddPart(parts, duration.Seconds, "s");
        return parts.Count == 0 ? "0s" : string.Join(' ', parts);
    }

    private static void AddPart(List<string> parts, int amount, string unit)
    {
        if (amount != 0)
        {
            parts.Add(amount.ToString(CultureInfo.InvariantCulture) + unit);
        }
    }
}
