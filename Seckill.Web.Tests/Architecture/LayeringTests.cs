using System.Reflection;
using System.Text.RegularExpressions;

namespace Seckill.Web.Tests.Architecture;

/// <summary>
/// The folders of Seckill.Web depend on each other one way (README, "Where things live"). C#
/// <c>using</c>s do not show it (a type named with its namespace needs none), so this reads the
/// source: every type declared in a folder, and every use of it in another folder's code.
/// </summary>
public partial class LayeringTests
{
    /// <summary>Top to bottom: a folder may use the folders of the rows below its own, never above or beside.</summary>
    private static readonly string[][] Layers =
    [
        ["Docs"],
        ["Purchasing"],
        ["Gate"],
        ["Ops", "Jobs"],
        ["Sales"],
        ["Orders", "Allocation"],
        ["Cluster"],
        ["Stock"],
        ["Security"],
        ["Http"],
    ];

    /// <summary>The adapters: they implement the features' ports, and no feature knows them.</summary>
    private const string Storage = "Storage";

    /// <summary><c>Program.cs</c>: it names every feature, so it may use anything.</summary>
    private const string Root = "(root)";

    private static readonly Lazy<Graph> Source = new(Graph.Read);

    [Fact]
    public void EveryFolderHasItsPlace()
    {
        var placed = Layers.SelectMany(row => row).Append(Storage).Append(Root).ToHashSet();
        var unplaced = Source.Value.Folders.Where(folder => !placed.Contains(folder)).ToList();
        Assert.Empty(unplaced);
    }

    [Fact]
    public void FeaturesUseOnlyTheLayersBelowThem()
    {
        var rank = Layers.SelectMany((row, index) => row.Select(folder => (folder, index))).ToDictionary(pair => pair.folder, pair => pair.index);
        var wrong = Source.Value.Edges
            .Where(edge => rank.ContainsKey(edge.From) && (!rank.TryGetValue(edge.To, out var to) || to <= rank[edge.From]))
            .Select(edge => $"{edge.From} -> {edge.To} ({edge.Type} in {edge.File})");
        Assert.Empty(wrong);
    }

    /// <summary>
    /// Storage reaches the features only through what they give it to implement or carry: ports
    /// (interfaces), data (records, structs, enums, classes of constants), the exceptions it throws
    /// and the options it reads. It never calls a feature's services.
    /// </summary>
    [Fact]
    public void AdaptersUseOnlyTheFeaturesPortsAndData()
    {
        var types = typeof(Program).Assembly.GetTypes().Where(type => !type.IsNested).ToLookup(type => type.Name);
        var wrong = Source.Value.Edges
            .Where(edge => edge.From == Storage && edge.To != Storage)
            .Where(edge => !types[edge.Type].All(IsPortOrData))
            .Select(edge => $"{edge.Type} ({edge.To}) in {edge.File}");
        Assert.Empty(wrong);
    }

    /// <summary>The test itself: it sees a service used across folders, and a type in a string or comment is no use.</summary>
    [Fact]
    public void TheReaderFindsUsesInCodeOnly()
    {
        var declared = new Dictionary<string, string> { ["Checkout"] = "Purchasing", ["IStockPool"] = "Stock" };
        const string code = """
            // Checkout in a comment
            var text = "Checkout in a string";
            /* Checkout */ IStockPool pool = null;
            """;
        Assert.Equal(["IStockPool"], Graph.UsedTypes(code, declared).ToArray());
    }

    private static bool IsPortOrData(Type type) =>
        type.IsInterface || type.IsValueType || typeof(Exception).IsAssignableFrom(type) || type.Name.EndsWith("Options", StringComparison.Ordinal) ||
        type.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null || IsConstants(type);

    private static bool IsConstants(Type type) =>
        type is { IsAbstract: true, IsSealed: true } &&
        type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Length == 0 &&
        type.GetFields(BindingFlags.Public | BindingFlags.Static).All(field => field.IsLiteral);

    private sealed record Edge(string From, string To, string Type, string File);

    private sealed partial record Graph(IReadOnlySet<string> Folders, IReadOnlyList<Edge> Edges)
    {
        public static Graph Read()
        {
            var project = Path.Combine(RepositoryRoot(), "Seckill.Web");
            var files = Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
                .Select(path => Path.GetRelativePath(project, path))
                .Where(path => !path.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal) &&
                               !path.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .Select(path => (Path: path, Folder: FolderOf(path), Code: WithoutCommentsAndStrings(File.ReadAllText(Path.Combine(project, path)))))
                .ToList();

            // A name declared in two folders (a private nested type, say) is nobody's to depend on.
            var declared = files
                .SelectMany(file => Declaration().Matches(file.Code).Select(match => (Name: match.Groups["name"].Value, file.Folder)))
                .GroupBy(declaration => declaration.Name)
                .Where(group => group.Select(declaration => declaration.Folder).Distinct().Count() == 1)
                .ToDictionary(group => group.Key, group => group.First().Folder);

            var edges = files
                .SelectMany(file => UsedTypes(file.Code, declared)
                    .Where(type => declared[type] != file.Folder)
                    .Select(type => new Edge(file.Folder, declared[type], type, file.Path)))
                .ToList();
            return new Graph(files.Select(file => file.Folder).ToHashSet(), edges);
        }

        public static IEnumerable<string> UsedTypes(string code, IReadOnlyDictionary<string, string> declared) =>
            Identifier().Matches(WithoutCommentsAndStrings(code)).Select(match => match.Value).Where(declared.ContainsKey).Distinct();

        /// <summary>Feature folders by their first segment; everything under Storage/ is the adapters.</summary>
        private static string FolderOf(string path)
        {
            var segments = path.Split(Path.DirectorySeparatorChar);
            return segments.Length == 1 ? Root : segments[0];
        }

        private static string WithoutCommentsAndStrings(string code) => Noise().Replace(code, " ");

        private static string RepositoryRoot()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Seckill.Web", "Seckill.Web.csproj")))
                {
                    return directory.FullName;
                }
            }
            throw new InvalidOperationException("The repository's Seckill.Web folder is not above the test's directory.");
        }

        [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(?:struct\s+|class\s+)?(?<name>[A-Z]\w*)")]
        private static partial Regex Declaration();

        [GeneratedRegex(@"\b[A-Z]\w*\b")]
        private static partial Regex Identifier();

        // Raw strings, verbatim strings, strings, characters, line and block comments.
        [GeneratedRegex(@"""""""[\s\S]*?""""""|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])'|//[^\n]*|/\*[\s\S]*?\*/")]
        private static partial Regex Noise();
    }
}
