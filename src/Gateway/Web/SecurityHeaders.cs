using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.FileProviders;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// Response headers that keep the desk, the shop page and the API from being framed, sniffed, cached or
/// injected into: a Content-Security-Policy per kind of response, frame-ancestors / X-Frame-Options (the
/// channel endpoints excepted: shop pages on other sites embed the widget), nosniff, a Referrer-Policy,
/// <c>no-store</c> on API answers, and HSTS when the request came over HTTPS (also through a trusted proxy).
/// </summary>
internal static partial class SecurityHeaders
{
    /// <summary>API and health answers: nothing in them may load anything or be framed.</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>The agent desk: its own scripts only, live connections to itself.</summary>
    public const string DeskPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        + "font-src 'self' data:; connect-src 'self' ws: wss:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseGatewaySecurityHeaders(this IApplicationBuilder app, IWebHostEnvironment environment)
    {
        // The demo shop page carries small inline scripts: they are allowed by their hashes, nothing else inline is.
        var shopPolicy = new Lazy<string>(() => ShopPolicy(environment.WebRootFileProvider));
        app.Use((http, next) =>
        {
            var path = http.Request.Path;
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            if (http.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000";
            }

            if (path.StartsWithSegments("/channels"))
            {
                // Called from shop pages on other sites (the widget); each plugin answers its own caching.
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                return next(http);
            }

            headers.XFrameOptions = "DENY";
            if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/openapi"))
            {
                headers.ContentSecurityPolicy = ApiPolicy;
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-store";
                return next(http);
            }

            headers["Referrer-Policy"] = path.StartsWithSegments("/desk") ? "no-referrer" : "strict-origin-when-cross-origin";
            headers.ContentSecurityPolicy = path.StartsWithSegments("/desk") || path.StartsWithSegments("/lib") ? DeskPolicy : shopPolicy.Value;
            return next(http);
        });
        return app;
    }

    /// <summary>The shop page's policy: scripts from itself plus its inline scripts by hash; the widget injects its own styles.</summary>
    internal static string ShopPolicy(IFileProvider files)
    {
        var hashes = new List<string>();
        var index = files.GetFileInfo("index.html");
        if (index.Exists)
        {
            using var reader = new StreamReader(index.CreateReadStream(), Encoding.UTF8);
            foreach (Match m in InlineScript().Matches(reader.ReadToEnd()))
            {
                hashes.Add("'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value))) + "'");
            }
        }

        return $"default-src 'self'; script-src 'self' {string.Join(' ', hashes)}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            + "font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();
}
