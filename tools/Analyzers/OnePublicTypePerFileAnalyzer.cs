using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Messaging.Analyzers;

/// <summary>
/// MSG0001: a file holds at most one public type. Review found files named after one type that held several
/// unrelated public ones; a reader looking for a type finds it by its file name. Private or internal helpers beside
/// the public type, nested types, the parts of one partial type and the generic and non-generic forms of one name
/// (<c>Foo</c> and <c>Foo&lt;T&gt;</c>) are allowed. StyleCop's SA1402 flags every helper type as well, which
/// is why this rule is ours (docs/architecture.md, "Layout rules").
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OnePublicTypePerFileAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string DiagnosticId = "MSG0001";

    private static readonly DiagnosticDescriptor Rule = new(
        DiagnosticId,
        title: "A file holds one public type",
        messageFormat: "'{0}' is another public type in a file that already holds '{1}': give it a file of its own ({0}.cs)",
        category: "Maintainability",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "One public type per file, named after it; internal helpers, nested types and partial parts are allowed.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxTreeAction(AnalyzeFile);
    }

    private static void AnalyzeFile(SyntaxTreeAnalysisContext context)
    {
        var root = context.Tree.GetRoot(context.CancellationToken);
        string? first = null;
        foreach (var (name, location) in PublicTopLevelTypes(root))
        {
            if (first is null)
            {
                first = name;
            }
            else if (name != first)
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, location, name, first));
            }
        }
    }

    private static IEnumerable<(string Name, Location Location)> PublicTopLevelTypes(SyntaxNode root)
    {
        var members = root.ChildNodes().OfType<MemberDeclarationSyntax>()
            .SelectMany(member => member is BaseNamespaceDeclarationSyntax ns ? (IEnumerable<MemberDeclarationSyntax>)ns.Members : new[] { member });
        foreach (var member in members)
        {
            if (!member.Modifiers.Any(SyntaxKind.PublicKeyword))
            {
                continue;
            }

            switch (member)
            {
                case BaseTypeDeclarationSyntax type:
                    yield return (type.Identifier.ValueText, type.Identifier.GetLocation());
                    break;
                case DelegateDeclarationSyntax @delegate:
                    yield return (@delegate.Identifier.ValueText, @delegate.Identifier.GetLocation());
                    break;
            }
        }
    }
}
