using System.Text.Json;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Web;

namespace ChatGateway.Gateway.Contacts;

/// <summary>Finding contacts, merging two by hand and undoing a wrong merge: supervisors only (agents get 403).</summary>
internal static class ContactEndpoints
{
    public static void MapContactsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Contacts").RequireAuthorization(AuthPolicies.Supervisor);
        api.MapGet("/contacts", async (string? q, ContactMergeService merges, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(q) || q.Trim().Length < 2 || q.Length > 320)
            {
                return Error(StatusCodes.Status400BadRequest, "q is required: at least 2 characters of a phone, email or name (at most 320)");
            }

            return Results.Ok(await merges.SearchAsync(q, ct));
        });
        api.MapGet("/contacts/{id:guid}", async (Guid id, ContactMergeService merges, CancellationToken ct) =>
            await merges.GetAsync(id, ct) is { } found
                ? Results.Ok(new { contact = found.Contact, merges = found.Merges })
                : Error(StatusCodes.Status404NotFound, "no such contact"));
        api.MapPost("/contacts/{id:guid}/merge", async (Guid id, HttpContext http, ContactMergeService merges, CancellationToken ct) =>
        {
            MergeRequest? request;
            try
            {
                request = http.Request.HasJsonContentType() ? await http.Request.ReadFromJsonAsync<MergeRequest>(ct) : null;
            }
            catch (JsonException)
            {
                request = null;
            }

            if (request?.Into is not { } into)
            {
                return Error(StatusCodes.Status400BadRequest, "send JSON { \"into\": \"<contact id>\" }");
            }

            return await RunAsync(() => merges.MergeAsync(id, into, ApiEndpoints.AgentId(http), ct));
        });
        api.MapPost("/contact-merges/{id:guid}/undo", (Guid id, HttpContext http, ContactMergeService merges, CancellationToken ct) =>
            RunAsync(() => merges.UndoAsync(id, ApiEndpoints.AgentId(http), ct)));

        // Labels, groups, notes and history for every agent who serves the contact.
        app.MapContactPanelApi();
    }

    private static async Task<IResult> RunAsync(Func<Task<ContactMergeDto>> action)
    {
        try
        {
            return Results.Ok(await action());
        }
        catch (ContactMergeException ex)
        {
            return Error(ex.Status, ex.Message);
        }
    }

    private static IResult Error(int status, string reason) => Results.Json(new ErrorDto(reason), statusCode: status);
}
