using System.Text.RegularExpressions;
using Ganss.Xss;

namespace ChatGateway.Gateway.Attachments;

/// <summary>
/// Makes a message's HTML body safe to show an agent, with HtmlSanitizer (AngleSharp's HTML5 parser and an allow-list):
/// no scripts, event handlers, forms, frames or styles that reach out; links kept (http, https, mailto) and opened
/// apart from the desk; pictures only from the message itself (<c>cid:</c>, turned into the gateway's own links to
/// its attachments), a remote picture left out (showing it would tell the sender the mail was read, and from where).
/// </summary>
internal sealed partial class HtmlBodies
{
    /// <summary>Bodies larger than this are not kept as HTML (an HTML bomb); the plain text stays.</summary>
    public const int MaxInputLength = 1_000_000;

    /// <summary>Deeper nesting than this is not kept as HTML (parsing and showing it would take the desk down).</summary>
    public const int MaxDepth = 200;

    private readonly HtmlSanitizer _sanitizer;

    public HtmlBodies()
    {
        _sanitizer = new HtmlSanitizer();
        _sanitizer.AllowedSchemes.Clear();
        _sanitizer.AllowedSchemes.UnionWith(["http", "https", "mailto", "cid"]);
        _sanitizer.AllowedTags.Remove("form");
        _sanitizer.AllowedTags.Remove("input");
        _sanitizer.AllowedTags.Remove("button");
        _sanitizer.AllowedTags.Remove("textarea");
        _sanitizer.AllowedTags.Remove("select");
        _sanitizer.AllowedAttributes.Remove("action");
        _sanitizer.AllowedAttributes.Remove("formaction");
        // CSS may load remote content (url(...), @import, @font-face): no url() in styles, no style sheets.
        _sanitizer.AllowedTags.Remove("style");
        _sanitizer.AllowedAtRules.Clear();
        _sanitizer.AllowedCssProperties.Remove("background-image");
        _sanitizer.AllowedCssProperties.Remove("list-style-image");
        _sanitizer.AllowedCssProperties.Remove("content");
        _sanitizer.AllowedCssProperties.Remove("cursor");
        _sanitizer.FilterUrl += (_, e) =>
        {
            if (e.Tag is null)
            {
                return;
            }

            var isLink = e.Tag.TagName.Equals("A", StringComparison.OrdinalIgnoreCase) || e.Tag.TagName.Equals("AREA", StringComparison.OrdinalIgnoreCase);
            if (!isLink)
            {
                // Only the message's own pictures: cid: (mapped by the caller), never a URL that loads from elsewhere.
                if (!e.OriginalUrl.StartsWith("cid:", StringComparison.OrdinalIgnoreCase))
                {
                    e.SanitizedUrl = null;
                }
            }
            else if (e.OriginalUrl.StartsWith("cid:", StringComparison.OrdinalIgnoreCase))
            {
                e.SanitizedUrl = null;
            }
        };
        _sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { TagName: "A" } link)
            {
                link.SetAttribute("target", "_blank");
                link.SetAttribute("rel", "noopener noreferrer nofollow");
            }
        };
    }

    /// <summary>
    /// The safe HTML, with <c>cid:</c> pictures pointing at <paramref name="pictureUrl"/> of the attachment with that
    /// content id (left out when there is none); null with a reason when the body is not kept as HTML.
    /// </summary>
    public (string? Html, string? Refused) Sanitize(string html, Func<string, string?> pictureUrl)
    {
        if (html.Length > MaxInputLength)
        {
            return (null, $"the HTML body is {html.Length:N0} characters; bodies over {MaxInputLength:N0} are shown as text only");
        }

        if (DepthOf(html) > MaxDepth)
        {
            return (null, $"the HTML body nests deeper than {MaxDepth} elements; it is shown as text only");
        }

        var safe = _sanitizer.Sanitize(html);
        safe = CidUrl().Replace(safe, match =>
        {
            var url = pictureUrl(System.Net.WebUtility.HtmlDecode(match.Groups["id"].Value).Trim('<', '>'));
            return url is null ? "" : $"src=\"{System.Net.WebUtility.HtmlEncode(url)}\"";
        });
        return (safe, null);
    }

    /// <summary>The deepest nesting of start tags, roughly (void and self-closed elements, and those whose end tag HTML lets out, count as closed).</summary>
    private static int DepthOf(string html)
    {
        int depth = 0, deepest = 0;
        for (var i = 0; i < html.Length - 1; i++)
        {
            if (html[i] != '<')
            {
                continue;
            }

            var next = html[i + 1];
            if (next == '/')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (char.IsAsciiLetter(next))
            {
                var end = html.IndexOf('>', i);
                if (end < 0)
                {
                    break;
                }

                var name = html.AsSpan(i + 1, Math.Min(end - i - 1, 10)).ToString().ToLowerInvariant();
                var isVoid = html[end - 1] == '/' || VoidElement().IsMatch(name);
                if (!isVoid && ++depth > deepest)
                {
                    deepest = depth;
                }

                i = end;
            }
        }

        return deepest;
    }

    [GeneratedRegex("^(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr|p|li|td|th|tr|dt|dd|option|tbody|thead|tfoot|colgroup)\\b")]
    private static partial Regex VoidElement();

    [GeneratedRegex("src=\"cid:(?<id>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex CidUrl();
}
