using System.Text;

using MimeKit.Text;

namespace ChatGateway.Plugins.Email.Inbound;

/// <summary>
/// The text of an HTML body, for <c>InboundMessage.Text</c> when a mail has no plain part: data outside scripts and styles,
/// a line break per block element. One pass over the tokens, so deep or huge markup costs no more than its length.
/// </summary>
internal static class HtmlText
{
    private static readonly HashSet<string> Hidden = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "head", "title", "template", "noscript" };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer",
    };

    public static string ToText(string html, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(html);
        var output = new StringBuilder(Math.Min(html.Length, maxChars));
        var tokenizer = new HtmlTokenizer(new StringReader(html));
        var hidden = 0;
        var pendingSpace = false;

        while (output.Length < maxChars && tokenizer.ReadNextToken(out var token))
        {
            switch (token)
            {
                case HtmlTagToken tag when Hidden.Contains(tag.Name):
                    if (!tag.IsEmptyElement)
                    {
                        hidden = Math.Max(0, hidden + (tag.IsEndTag ? -1 : 1));
                    }

                    break;
                case HtmlTagToken tag when Blocks.Contains(tag.Name):
                    if (hidden == 0)
                    {
                        NewLine(output);
                        if (!tag.IsEndTag && string.Equals(tag.Name, "li", StringComparison.OrdinalIgnoreCase))
                        {
                            output.Append("- ");
                        }

                        pendingSpace = false;
                    }

                    break;
                case HtmlDataToken data when hidden == 0 && token.Kind == HtmlTokenKind.Data:
                    foreach (var c in data.Data)
                    {
                        if (char.IsWhiteSpace(c))
                        {
                            pendingSpace = output.Length > 0 && output[^1] != '\n';
                            continue;
                        }

                        if (pendingSpace)
                        {
                            output.Append(' ');
                            pendingSpace = false;
                        }

                        if (!char.IsControl(c))
                        {
                            output.Append(c);
                        }
                    }

                    break;
            }
        }

        var text = output.ToString().Trim();
        return text.Length <= maxChars ? text : text[..maxChars];
    }

    private static void NewLine(StringBuilder output)
    {
        // At most one empty line in a row.
        if (output.Length == 0 || (output.Length >= 2 && output[^1] == '\n' && output[^2] == '\n'))
        {
            return;
        }

        output.Append('\n');
    }
}
