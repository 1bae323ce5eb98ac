using System.Text.RegularExpressions;
using System.Xml.Linq;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Architecture;

/// <summary>
/// The layout rules of docs/architecture.md, read from the repository: no namespace depends on itself through
/// others, ServiceDefaults references no project, the resilience patterns do not know the store, and no library
/// opens its internals to a host.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly string[] Hosts = ["Messaging.Gateway", "Messaging.Workers", "Messaging.Cli"];

    [Fact]
    public void SourceNamespaces_DependOnEachOtherWithoutCycles()
    {
        var files = SourceFiles().ToList();
        var typesByNamespace = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => f.Namespace is not null))
        {
            var types = typesByNamespace.TryGetValue(file.Namespace!, out var known) ? known : typesByNamespace[file.Namespace!] = [];
            types.UnionWith(TypeDeclaration().Matches(file.Text).Select(m => m.Groups["name"].Value));
        }

        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => f.Namespace is not null))
        {
            var from = file.Namespace!;
            var targets = edges.TryGetValue(from, out var known) ? known : edges[from] = [];
            targets.UnionWith(UsingDirective().Matches(file.Text).Select(m => m.Groups["ns"].Value)
                .Where(ns => ns != from && typesByNamespace.ContainsKey(ns)));

            // A parent namespace's types are in scope without a using directive: count them where they are named.
            var parts = from.Split('.');
            for (var length = 2; length < parts.Length; length++)
            {
                var parent = string.Join('.', parts[..length]);
                if (typesByNamespace.TryGetValue(parent, out var parentTypes)
                    && parentTypes.Any(type => Regex.IsMatch(file.Text, $@"\b{type}\b")))
                {
                    targets.Add(parent);
                }
            }
        }

        var cycles = StronglyConnected(edges).Where(component => component.Count > 1)
            .Select(component => string.Join(" <-> ", component.Order(StringComparer.Ordinal)))
            .ToList();
        Assert.True(cycles.Count == 0, "Namespaces that depend on each other: " + string.Join("; ", cycles));
    }

    [Fact]
    public void ServiceDefaults_ReferencesNoProject() =>
        Assert.Empty(ProjectReferences("src/ServiceDefaults/ServiceDefaults.csproj"));

    [Fact]
    public void ResiliencePatterns_DoNotReferenceTheStoreOrTheCommandTypes()
    {
        Assert.Empty(ProjectReferences("src/Resilience/Resilience.csproj"));
        Assert.DoesNotContain("Store", ProjectReferences("src/CommandTypes/CommandTypes.csproj").Concat(ProjectReferences("src/Contracts/Contracts.csproj")));
    }

    [Fact]
    public void NoLibrary_OpensItsInternalsToAHost()
    {
        var opened = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .SelectMany(project => XDocument.Load(project).Descendants("InternalsVisibleTo")
                .Select(element => (Project: Path.GetFileName(project), To: (string?)element.Attribute("Include"))))
            .Where(grant => Hosts.Contains(grant.To, StringComparer.Ordinal))
            .Select(grant => $"{grant.Project} -> {grant.To}")
            .ToList();
        Assert.Empty(opened);
    }

    private static IEnumerable<string> ProjectReferences(string project) =>
        XDocument.Load(Path.Combine(RepositoryPaths.Root, project)).Descendants("ProjectReference")
            .Select(element => Path.GetFileNameWithoutExtension(((string?)element.Attribute("Include") ?? "").Replace('\\', '/')));

    private static IEnumerable<(string Path, string? Namespace, string Text)> SourceFiles()
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepositoryPaths.Root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal))
            {
                continue;
            }

            var text = File.ReadAllText(path);
            var declared = FileScopedNamespace().Match(text);
            yield return (relative, declared.Success ? declared.Groups["ns"].Value : null, text);
        }
    }

    // Tarjan's algorithm: every set of namespaces that reach each other.
    private static List<List<string>> StronglyConnected(Dictionary<string, HashSet<string>> edges)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in edges.TryGetValue(node, out var targets) ? targets : [])
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                components.Add(component);
            }
        }

        foreach (var node in edges.Keys.ToList())
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return components;
    }

    [GeneratedRegex(@"^namespace\s+(?<ns>[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex FileScopedNamespace();

    [GeneratedRegex(@"^using\s+(?<ns>Messaging[\w.]*)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^(?:public|internal)\s+(?:(?:static|sealed|abstract|partial|readonly)\s+)*(?:class|record|struct|interface|enum)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}
