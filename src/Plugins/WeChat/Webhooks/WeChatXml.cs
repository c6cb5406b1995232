using System.Xml;
using System.Xml.Linq;

namespace ChatGateway.Plugins.WeChat.Webhooks;

/// <summary>
/// Reads WeChat's flat <c>&lt;xml&gt;</c> documents with DTDs prohibited and no resolver: an external entity or an entity
/// bomb is refused, never expanded.
/// </summary>
internal static class WeChatXml
{
    /// <summary>The root's child elements by name, or null and why when the body is not such a document.</summary>
    public static (IReadOnlyDictionary<string, string>? Fields, string? Error) Read(byte[] body)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 1024,
            MaxCharactersInDocument = body.LongLength * 2 + 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };

        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), settings);
            document = XDocument.Load(reader);
        }
        catch (XmlException)
        {
            return (null, "the body is not well-formed XML (DTDs are not accepted)");
        }

        if (document.Root is not { Name.LocalName: "xml" } root)
        {
            return (null, "the body's root must be <xml>");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var element in root.Elements())
        {
            fields[element.Name.LocalName] = element.Value;
        }

        return (fields, null);
    }
}
