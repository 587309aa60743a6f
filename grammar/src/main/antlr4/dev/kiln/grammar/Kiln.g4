// The Kiln model language: one model per file, a signature, then constants and operator
// applications in SSA form. The reference is docs/language.md; the meaning of a parse tree
// (types, operators, weights) is checked by dev.kiln.frontend.kiln, not here.
//
// The lexer never fails: stray characters become ERROR_CHAR and strings without their closing
// quote become UNTERMINATED_STRING, so the parser reports every problem with a friendly message.
grammar Kiln;

file
    : version? model EOF
    ;

version
    : KILN INT
    ;

model
    : MODEL modelName=name '(' (param (',' param)*)? ')'
      '->' '(' (output (',' output)*)? ')'
      '{' statement* '}'
    ;

param
    : value ':' type
    ;

// Output types may be left out: the output then has the type of its definition.
output
    : value (':' type)?
    ;

statement
    : WEIGHTS STRING                                     # weightsDirective
    | CONST value ':' type '=' constInit                 # constDecl
    | (label=name ':')? result (',' result)*
      '=' op=name '(' (arg (',' arg)*)? ')' attributes?  # nodeDecl
    ;

constInit
    : WEIGHTS '[' STRING ']'                             # weightsRef
    | tensorBody                                         # inlineValues
    ;

result
    : value (':' type)?
    ;

arg
    : value                                              # presentArg
    | '_'                                                # absentArg
    ;

attributes
    : '{' (attribute (',' attribute)*)? '}'
    ;

attribute
    : key=name '=' attrValue
    ;

attrValue
    : number                                             # numberAttr
    | STRING                                             # stringAttr
    | '[' (listItem (',' listItem)*)? ']'                # listAttr
    | ident '[' ']'                                      # typedEmptyListAttr
    | type tensorBody                                    # tensorAttr
    ;

listItem
    : number
    | STRING
    ;

// The elements of a tensor, row-major and flat; a single element may stand alone.
tensorBody
    : '[' (element (',' element)*)? ']'
    | element
    ;

element
    : number
    | TRUE
    | FALSE
    ;

number
    : '-'? (INT | FLOAT | INF)
    | NAN
    ;

type
    : dtype=ident '[' (dim (',' dim)*)? ']'
    ;

dim
    : INT                                                # knownDim
    | name                                               # namedDim
    | '?'                                                # unknownDim
    ;

value
    : BARE_VALUE
    | QUOTED_VALUE
    ;

name
    : ident
    | STRING
    ;

// Keywords are reserved only where they start a construct, so they still work as names.
ident
    : ID | KILN | MODEL | WEIGHTS | CONST | NAN | INF | TRUE | FALSE
    ;

KILN    : 'kiln' ;
MODEL   : 'model' ;
WEIGHTS : 'weights' ;
CONST   : 'const' ;
NAN     : 'nan' ;
INF     : 'inf' ;
TRUE    : 'true' ;
FALSE   : 'false' ;

ID : [A-Za-z_] [A-Za-z0-9_]* ;

// %x, %123, %onnx::Conv_5, %/layer1/Relu_output_0. A name never ends with ':', so that
// `%x: f32[...]` reads as the name %x followed by a colon.
BARE_VALUE   : '%' NAME_SEGMENT (':'+ NAME_SEGMENT)* ;
QUOTED_VALUE : '%' STRING_BODY ;

INT   : DIGITS ;
FLOAT : DIGITS '.' [0-9]* EXPONENT? | DIGITS EXPONENT | '.' DIGITS EXPONENT? ;

STRING              : STRING_BODY ;
UNTERMINATED_STRING : '%'? '"' STRING_CHAR* ;

LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS            : [ \t\r\n\f\uFEFF]+ -> skip ;

ERROR_CHAR : . ;

fragment NAME_SEGMENT : [A-Za-z0-9_./\-]+ ;
fragment DIGITS       : [0-9]+ ;
fragment EXPONENT     : [eE] [+\-]? DIGITS ;
fragment STRING_BODY  : '"' STRING_CHAR* '"' ;
// Escapes are checked after parsing so that a bad one gets its own message.
fragment STRING_CHAR  : '\\' ~[\r\n] | ~["\\\r\n] ;
