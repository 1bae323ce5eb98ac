using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Messaging.Analyzers.Tests;

public sealed class OnePublicTypePerFileAnalyzerTests
{
    [Fact]
    public async Task TwoPublicTypes_ReportTheSecond()
    {
        var diagnostics = await AnalyzeAsync(
            """
            namespace Shop;
            public sealed class Order;
            public sealed record Invoice(int Number);
            """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(OnePublicTypePerFileAnalyzer.DiagnosticId, diagnostic.Id);
        Assert.Contains("'Invoice'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("'Order'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublicTypesInABlockNamespace_AreCountedToo()
    {
        var diagnostics = await AnalyzeAsync(
            """
            namespace Shop
            {
                public interface IOrder;
                public enum OrderState { Open }
                public delegate void OrderPlaced();
            }
            """);

        Assert.Equal(["OrderState", "OrderPlaced"], diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
    }

    [Fact]
    public async Task OnePublicTypeWithInternalHelpersNestedTypesPartsAndGenericForms_IsFine()
    {
        var diagnostics = await AnalyzeAsync(
            """
            namespace Shop;
            public partial class Order { public sealed record Line(int Quantity); }
            public partial class Order;
            public sealed class Order<T>;
            internal sealed class OrderMath;
            file sealed class Scratch;
            """);

        Assert.Empty(diagnostics);
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path: "Order.cs",
            cancellationToken: TestContext.Current.CancellationToken);
        var compilation = CSharpCompilation.Create("Shop", [tree],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return await compilation.WithAnalyzers([new OnePublicTypePerFileAnalyzer()])
            .GetAnalyzerDiagnosticsAsync(TestContext.Current.CancellationToken);
    }
}
