using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Cross-site request forgery guard for the desk (beside SameSite cookies): state-changing calls to
/// <c>/api</c> and every request to the agent hub are refused when a browser says they come from another
/// site (an Origin that is neither the gateway's own nor in Desk:AllowedOrigins, or Sec-Fetch-Site:
/// cross-site). Clients that send neither header (curl, the SDKs) are not browsers and go through.
/// </summary>
internal sealed class OriginCheckMiddleware(RequestDelegate next, IOptionsMonitor<DeskOptions> options)
{
    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var guarded = request.Path.StartsWithSegments("/hubs/agent")
            || (request.Path.StartsWithSegments("/api") && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)));
        if (!guarded)
        {
            return next(http);
        }

        var reason = RefusalReason(request);
        if (reason is null)
        {
            return next(http);
        }

        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        return http.Response.WriteAsJsonAsync(new Web.ErrorDto(reason));
    }

    private string? RefusalReason(HttpRequest request)
    {
        if (string.Equals(request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            return "cross-site request refused (Sec-Fetch-Site: cross-site)";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return null;
        }

        var own = $"{request.Scheme}://{request.Host.Value}";
        if (string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            || options.CurrentValue.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        return "cross-origin request refused: the Origin is neither this gateway nor in Desk:AllowedOrigins";
    }
}
