using System.Text;

namespace ChatGateway.Gateway.Attachments;

/// <summary>
/// Tells a file's type from its first bytes, not from its name or the sender's claim: a "photo.jpg" that is an HTML
/// page is HTML (and refused), a PDF sent as <c>image/png</c> is a PDF. The name only picks among types the bytes
/// cannot tell apart (the Office formats inside a ZIP or OLE container; CSV among plain text).
/// </summary>
internal static class ContentSniffer
{
    /// <summary>How many leading bytes <see cref="Detect"/> looks at.</summary>
    public const int HeadLength = 512;

    public const string Unknown = "application/octet-stream";

    public static bool IsMediaType(string value)
    {
        var slash = value.IndexOf('/');
        return slash > 0 && slash < value.Length - 1 && value.IndexOf('/', slash + 1) < 0
            && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '+' or '-');
    }

    public static string Detect(ReadOnlySpan<byte> head, string? fileName, string? declared)
    {
        var extension = System.IO.Path.GetExtension(fileName ?? "").ToLowerInvariant();
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            var form = head.Slice(8, 4);
            if (form.SequenceEqual("WEBP"u8))
            {
                return "image/webp";
            }

            if (form.SequenceEqual("WAVE"u8))
            {
                return "audio/wav";
            }
        }

        if (head.Length >= 12 && head.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(head.Slice(8, 4));
            return brand switch
            {
                "heic" or "heix" or "heim" or "heis" or "hevc" or "hevx" or "mif1" or "msf1" => "image/heic",
                "qt  " => "video/quicktime",
                "M4A " or "M4B " => "audio/mp4",
                _ when brand.StartsWith("3g", StringComparison.Ordinal) => "video/3gpp",
                _ => "video/mp4",
            };
        }

        if (head.StartsWith("BM"u8) && head.Length >= 14)
        {
            return "image/bmp";
        }

        if (head.StartsWith("%PDF-"u8))
        {
            return "application/pdf";
        }

        if (head.StartsWith("PK\u0003\u0004"u8))
        {
            return extension switch
            {
                ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ".pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                _ => "application/zip",
            };
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
        {
            return extension switch
            {
                ".doc" => "application/msword",
                ".xls" => "application/vnd.ms-excel",
                ".ppt" => "application/vnd.ms-powerpoint",
                _ => Unknown,
            };
        }

        if (head.StartsWith("ID3"u8) || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0))
        {
            return "audio/mpeg";
        }

        if (head.StartsWith("OggS"u8))
        {
            return "audio/ogg";
        }

        if (head.StartsWith("#!AMR"u8))
        {
            return "audio/amr";
        }

        if (IsText(head))
        {
            var text = Encoding.UTF8.GetString(head).TrimStart('\uFEFF', ' ', '\t', '\r', '\n').ToLowerInvariant();
            if (text.StartsWith('<') && (text.Contains("<svg", StringComparison.Ordinal)))
            {
                return "image/svg+xml";
            }

            if (text.StartsWith('<') && (text.StartsWith("<!doctype html", StringComparison.Ordinal) || text.Contains("<html", StringComparison.Ordinal)
                || text.Contains("<script", StringComparison.Ordinal) || text.Contains("<body", StringComparison.Ordinal) || text.Contains("<iframe", StringComparison.Ordinal)))
            {
                return "text/html";
            }

            if (text.StartsWith("<?xml", StringComparison.Ordinal))
            {
                return "application/xml";
            }

            return extension == ".csv" || string.Equals(declared, "text/csv", StringComparison.OrdinalIgnoreCase) ? "text/csv" : "text/plain";
        }

        return Unknown;
    }

    /// <summary>UTF-8 (a character cut at the end of the head is fine) with no control characters but tabs and line ends.</summary>
    private static bool IsText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return false;
        }

        foreach (var b in head)
        {
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0D or 0x0C))
            {
                return false;
            }
        }

        var decoder = new UTF8Encoding(false, true).GetDecoder();
        try
        {
            Span<char> chars = stackalloc char[head.Length];
            decoder.Convert(head, chars, flush: false, out _, out _, out _);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Types a browser may show in the page (the desk's previews); every other file is only downloaded.</summary>
    public static bool IsInlineImage(string contentType) =>
        contentType is "image/jpeg" or "image/png" or "image/gif" or "image/webp" or "image/bmp";
}
