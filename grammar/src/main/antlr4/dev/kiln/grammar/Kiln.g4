// Placeholder: the Kiln model language grammar is being written (see docs/language.md).
grammar Kiln;

model : 'model' ID EOF ;

ID : [a-zA-Z_][a-zA-Z_0-9]* ;
WS : [ \t\r\n]+ -> skip ;
