using System.Text;
using ChatGateway.Gateway.Attachments;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>
/// Files are typed from their bytes. Bad inputs tried: an HTML page and an SVG with a script named as pictures, a PDF
/// declared as PNG, an executable, a right-to-left override hiding an extension, paths in file names.
/// </summary>
public sealed class ContentSnifferTests
{
    [Theory]
    [InlineData("ffd8ffe000104a464946", "photo.png", "image/png", "image/jpeg")]
    [InlineData("89504e470d0a1a0a0000", "x.jpg", "image/jpeg", "image/png")]
    [InlineData("474946383961", "a.gif", null, "image/gif")]
    [InlineData("52494646000000005745425056503820", "a", null, "image/webp")]
    [InlineData("000000186674797068656963", "IMG_1.HEIC", null, "image/heic")]
    [InlineData("00000018667479706973366d", "clip.mp4", null, "video/mp4")]
    [InlineData("255044462d312e34", "scan.png", "image/png", "application/pdf")]
    [InlineData("504b0304140000000800", "order.xlsx", null, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    [InlineData("504b0304140000000800", "order.png", "image/png", "application/zip")]
    [InlineData("2321414d520a", "voice.amr", null, "audio/amr")]
    [InlineData("4d5a90000300000004000000ffff", "tool.jpg", "image/jpeg", "application/octet-stream")]
    public void TheTypeComesFromTheBytes_NotTheNameOrTheClaim(string hex, string name, string? declared, string expected) =>
        Assert.Equal(expected, ContentSniffer.Detect(Convert.FromHexString(hex), name, declared));

    [Theory]
    [InlineData("<!DOCTYPE html><html><body>hi</body></html>", "text/html")]
    [InlineData("  <script>alert(1)</script>", "text/html")]
    [InlineData("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", "image/svg+xml")]
    [InlineData("order 1001, size M\r\nthanks", "text/plain")]
    [InlineData("尺码对照表：S 160 / M 170", "text/plain")]
    public void TextIsTold_AndMarkupThatCouldRunIsNotPlainText(string text, string expected) =>
        Assert.Equal(expected, ContentSniffer.Detect(Encoding.UTF8.GetBytes(text), "photo.jpg", "image/jpeg"));

    [Fact]
    public void TheDefaultTypesTakeNoMarkup() =>
        Assert.DoesNotContain(AttachmentOptions.DefaultAllowedTypes, t => t is "text/html" or "image/svg+xml" or "application/xml" or ContentSniffer.Unknown);

    [Theory]
    [InlineData("C:\\Users\\me\\Desktop\\photo.jpg", "photo.jpg")]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("invoice\u202Efdp.exe", "invoicefdp.exe")]
    [InlineData("  ..  ", null)]
    [InlineData("a\u0000b\nc.txt", "abc.txt")]
    public void FileNamesLoseFoldersControlAndDirectionCharacters(string given, string? expected) =>
        Assert.Equal(expected, AttachmentService.CleanFileName(given));
}
