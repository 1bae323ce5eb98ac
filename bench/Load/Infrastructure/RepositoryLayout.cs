namespace Messaging.Load.Infrastructure;

/// <summary>Where the repository, the built hosts and the result files are.</summary>
internal static class RepositoryLayout
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public static string Root { get; } = FindRoot();

    public static string Artifacts => Path.Combine(Root, "artifacts", "bench");

    public static string LogDirectory => Path.Combine(Artifacts, "logs");

    public static string GatewayDll => Host("src/Gateway", "Messaging.Gateway.dll");

    public static string WorkersDll => Host("src/Workers", "Messaging.Workers.dll");

    public static string FakeServicesDll => Host("tests/FakeServices", "Messaging.FakeServices.dll");

    public static string WolverinePeerDll => Host("bench/Peers/WolverinePeer", "Messaging.WolverinePeer.dll");

    private static string Host(string project, string dll) => Path.Combine(Root, project, "bin", Configuration, "net10.0", dll);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the load tool from the repository (Messaging.sln not found above " + AppContext.BaseDirectory + ").");
    }
}
