namespace Messaging.Testing.Harness;

/// <summary>Finds the repository and the built assemblies of the hosts, in the same configuration as the running tests.</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root (the folder holding Messaging.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, read from the running test project's output path.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>The Gateway's built assembly.</summary>
    public static string Gateway => Assembly("src/Gateway", "Messaging.Gateway.dll");

    /// <summary>The Workers' built assembly.</summary>
    public static string Workers => Assembly("src/Workers", "Messaging.Workers.dll");

    /// <summary>FakeServices' built assembly.</summary>
    public static string FakeServices => Assembly("tests/FakeServices", "Messaging.FakeServices.dll");

    /// <summary>Where the system tests' processes write their logs (<c>artifacts/system-tests</c>).</summary>
    public static string TestLogs { get; } = Path.Combine(Root, "artifacts", "system-tests");

    private static string Assembly(string project, string file) =>
        Path.Combine(Root, project, "bin", Configuration, "net10.0", file);

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Messaging.sln not found above " + AppContext.BaseDirectory);
    }
}
