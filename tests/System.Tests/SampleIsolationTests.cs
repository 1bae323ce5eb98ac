using System.Text.RegularExpressions;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>
/// Adding a C# command type touches its own folder and one line per host: read from the repository, nothing
/// outside samples/ShippingLabels names the sample type except each host's registration line and project
/// reference (and the solution file, the docs that teach it and its own tests).
/// </summary>
public sealed partial class SampleIsolationTests
{
    private const string SampleFolder = "samples/ShippingLabels/";

    private static readonly string[] SkippedDirectories = ["bin", "obj", ".git", "artifacts", ".run", "node_modules", "TestResults"];

    // Documentation and the sample's own tests may name it; the solution file lists every project.
    private static readonly string[] AllowedAnywhere =
    [
        "Messaging.sln", "README.md", "tests/System.Tests/SampleCommandTypeTests.cs", "tests/System.Tests/SampleIsolationTests.cs",
    ];

    [Fact]
    public void SampleType_IsNamedOutsideItsFolder_OnlyByOneRegistrationLineAndOneReferencePerHost()
    {
        var mentions = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in Files(RepositoryPaths.Root))
        {
            var relative = Path.GetRelativePath(RepositoryPaths.Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.StartsWith(SampleFolder, StringComparison.Ordinal) || relative.StartsWith("docs/", StringComparison.Ordinal)
                || AllowedAnywhere.Contains(relative, StringComparer.Ordinal))
            {
                continue;
            }

            var lines = File.ReadLines(file).Where(line => SampleName().IsMatch(line)).Select(line => line.Trim()).ToList();
            if (lines.Count > 0)
            {
                mentions[relative] = lines;
            }
        }

        Assert.Equal(["src/Gateway/Gateway.csproj", "src/Gateway/Program.cs", "src/Workers/Program.cs", "src/Workers/Workers.csproj"],
            mentions.Keys.Order(StringComparer.Ordinal));
        Assert.All(mentions.Values, lines => Assert.Single(lines));
        Assert.StartsWith("builder.AddShippingLabels();", Assert.Single(mentions["src/Gateway/Program.cs"]), StringComparison.Ordinal);
        Assert.StartsWith("builder.AddShippingLabels();", Assert.Single(mentions["src/Workers/Program.cs"]), StringComparison.Ordinal);
        Assert.StartsWith("<ProjectReference", Assert.Single(mentions["src/Gateway/Gateway.csproj"]), StringComparison.Ordinal);
        Assert.StartsWith("<ProjectReference", Assert.Single(mentions["src/Workers/Workers.csproj"]), StringComparison.Ordinal);
    }

    [Fact]
    public void SampleFolder_HoldsTheWholeType()
    {
        var folder = Path.Combine(RepositoryPaths.Root, SampleFolder);
        var names = Directory.GetFiles(folder).Select(Path.GetFileName).ToList();

        // Contract, request validation, handler, provider options and the registration, in one folder.
        Assert.Contains("CreateShippingLabel.cs", names);
        Assert.Contains("CreateShippingLabelRequest.cs", names);
        Assert.Contains("CreateShippingLabelHandler.cs", names);
        Assert.Contains("ShippingOptions.cs", names);
        Assert.Contains("ShippingLabelsCommandType.cs", names);
    }

    private static IEnumerable<string> Files(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            yield return file;
        }

        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (!SkippedDirectories.Contains(Path.GetFileName(child), StringComparer.Ordinal))
            {
                foreach (var file in Files(child))
                {
                    yield return file;
                }
            }
        }
    }

    [GeneratedRegex(@"shipping\.labels|shippinglabel", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SampleName();
}
