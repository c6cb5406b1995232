using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class MultiInstanceConstraints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Stores written before the constraints by one writer hold no duplicates; one that does (two processes
            // racing an older version) keeps every row: a later copy of a customer message keeps its text under a
            // provider id marked with its own id, and a later contact with an owned phone or email is merged into
            // the oldest (its identities and conversations move, its row stays with MergedIntoId, as a desk merge).
            migrationBuilder.Sql(
                "UPDATE \"Messages\" SET \"ProviderMessageId\" = \"ProviderMessageId\" || '#' || \"Id\" " +
                "WHERE \"Direction\" = 0 AND \"ProviderMessageId\" IS NOT NULL AND rowid NOT IN (" +
                "SELECT min(rowid) FROM \"Messages\" WHERE \"Direction\" = 0 AND \"ProviderMessageId\" IS NOT NULL GROUP BY \"InstanceId\", \"ProviderMessageId\");");
            foreach (var key in new[] { "Phone", "Email" })
            {
                migrationBuilder.Sql(
                    $"UPDATE \"Contacts\" SET \"MergedIntoId\" = (SELECT o.\"Id\" FROM \"Contacts\" AS o WHERE o.\"{key}\" = \"Contacts\".\"{key}\" " +
                    "AND o.\"MergedIntoId\" IS NULL ORDER BY o.\"CreatedAt\", o.\"Id\" LIMIT 1) " +
                    $"WHERE \"{key}\" IS NOT NULL AND \"MergedIntoId\" IS NULL AND \"Id\" <> (SELECT o.\"Id\" FROM \"Contacts\" AS o " +
                    $"WHERE o.\"{key}\" = \"Contacts\".\"{key}\" AND o.\"MergedIntoId\" IS NULL ORDER BY o.\"CreatedAt\", o.\"Id\" LIMIT 1);");
            }

            foreach (var table in new[] { "ChannelIdentities", "Conversations" })
            {
                migrationBuilder.Sql(
                    $"UPDATE \"{table}\" SET \"ContactId\" = (SELECT c.\"MergedIntoId\" FROM \"Contacts\" AS c WHERE c.\"Id\" = \"{table}\".\"ContactId\") " +
                    $"WHERE \"ContactId\" IN (SELECT \"Id\" FROM \"Contacts\" WHERE \"MergedIntoId\" IS NOT NULL);");
            }

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Email",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts");

            migrationBuilder.AddColumn<string>(
                name: "DeliveryOwner",
                table: "Messages",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "UX_Messages_Inbound",
                table: "Messages",
                columns: new[] { "InstanceId", "ProviderMessageId" },
                unique: true,
                filter: "\"Direction\" = 0 AND \"ProviderMessageId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Email",
                table: "Contacts",
                column: "Email",
                unique: true,
                filter: "\"Email\" IS NOT NULL AND \"MergedIntoId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts",
                column: "Phone",
                unique: true,
                filter: "\"Phone\" IS NOT NULL AND \"MergedIntoId\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "UX_Messages_Inbound",
                table: "Messages");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Email",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "DeliveryOwner",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Email",
                table: "Contacts",
                column: "Email");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts",
                column: "Phone");
        }
    }
}
