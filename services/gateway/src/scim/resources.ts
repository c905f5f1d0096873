export const userSchemaUrn = "urn:ietf:params:scim:schemas:core:2.0:User";
export const groupSchemaUrn = "urn:ietf:params:scim:schemas:core:2.0:Group";
const listUrn = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

export type ScimPage<T> = {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
};

export function listResponse<T>(items: T[], total: number, startIndex: number): ScimPage<T> {
  return {
    schemas: [listUrn],
    totalResults: total,
    startIndex,
    itemsPerPage: items.length,
    Resources: items,
  };
}

export const maxResults = 200;

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "A tenant's SCIM token, made by an owner with POST /v1/scim/tokens",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string) {
  const type = (name: string, endpoint: string, schema: string) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: name,
    name,
    endpoint,
    schema,
    meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/${name}` },
  });
  return [type("User", "/Users", userSchemaUrn), type("Group", "/Groups", groupSchemaUrn)];
}

type Attribute = {
  name: string;
  type: "string" | "boolean" | "complex" | "reference";
  multiValued?: boolean;
  required?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable";
  uniqueness?: "none" | "server";
  subAttributes?: Attribute[];
};

function attribute(spec: Attribute): Record<string, unknown> {
  return {
    multiValued: false,
    description: spec.name,
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
    ...spec,
    subAttributes: spec.subAttributes?.map(attribute),
  };
}

/** The attributes we store and return (RFC 7643 §7); others are accepted and ignored. */
export function schemas(baseUrl: string) {
  const schema = (id: string, name: string, attributes: Attribute[]) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    id,
    name,
    description: name,
    attributes: attributes.map(attribute),
    meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(userSchemaUrn, "User", [
      { name: "userName", type: "string", required: true, uniqueness: "server" },
      { name: "externalId", type: "string" },
      {
        name: "name",
        type: "complex",
        subAttributes: [
          { name: "formatted", type: "string", mutability: "readOnly" },
          { name: "givenName", type: "string" },
          { name: "familyName", type: "string" },
        ],
      },
      { name: "displayName", type: "string" },
      {
        name: "emails",
        type: "complex",
        multiValued: true,
        subAttributes: [
          { name: "value", type: "string" },
          { name: "type", type: "string" },
          { name: "primary", type: "boolean" },
        ],
      },
      { name: "active", type: "boolean" },
      {
        name: "groups",
        type: "complex",
        multiValued: true,
        mutability: "readOnly",
        subAttributes: [
          { name: "value", type: "string", mutability: "readOnly" },
          { name: "display", type: "string", mutability: "readOnly" },
        ],
      },
    ]),
    schema(groupSchemaUrn, "Group", [
      { name: "displayName", type: "string", required: true, uniqueness: "server" },
      { name: "externalId", type: "string" },
      {
        name: "members",
        type: "complex",
        multiValued: true,
        subAttributes: [
          { name: "value", type: "string", mutability: "immutable" },
          { name: "display", type: "string", mutability: "readOnly" },
        ],
      },
    ]),
  ];
}
